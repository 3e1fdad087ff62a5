// A day of the agent's refreshes in a few minutes: the agent and its dev server run under
// libfaketime with their clocks (wall and monotonic alike, so timers too) sped up by the same
// factor, from the same simulated moment. The agent's own fibers then sleep, wake and renew as
// they would over 24 hours: every role in use renewed ahead of its expiry, the session's
// tokens refreshed, idle roles let go. Meanwhile a client keeps some roles in use all day and
// picks up a few new ones every hour, and the agent's resident memory is read every hour.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { askAgent, credentialsRequest, login, makeHome, rssMb, startDevServer, stopProcess } from "./harness.mjs"

export const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

const HOURS = 24
/** Roles asked for throughout the day, and new roles picked up (and then left) each hour. */
const DAILY_ROLES = 10
const NEW_ROLES_PER_HOUR = 5

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The clock of a process started now: libfaketime starts a sped-up clock at the process's start,
 * so each process is told the simulated time of its own start (all sharing one origin).
 */
const fakeClock = (origin, speed) => {
  const simulated = (realMs) => origin + (realMs - origin) * speed
  const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ")
  return {
    simulated,
    env: () => ({
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME: `@${stamp(simulated(Date.now()))} x${speed}`,
      // Read once: the agent clears its environment as it starts.
      FAKETIME_CACHE_DURATION: "1000000000",
      TZ: "UTC"
    })
  }
}

/** The dev server's counters. Its sped-up clock makes its connection timeouts short: a read may need a retry. */
const stats = async (server) => {
  for (let attempt = 1;; attempt++) {
    try {
      const response = await globalThis.fetch(`${server.url}_admin/stats`, { headers: { connection: "close" } })
      return { ...JSON.parse(await response.text()), clock: Date.parse(response.headers.get("date")) }
    } catch (error) {
      if (attempt === 5) throw error
    }
  }
}

/**
 * Runs the day against `target`'s agent, started with `agentArgv` (the command line its launcher
 * uses); resolves with its resident memory hour by hour and what was renewed.
 */
export const simulateDay = async (target, agentArgv, tmp, speed) => {
  const origin = Date.now()
  const clock = fakeClock(origin, speed)
  const server = await startDevServer(
    target.root,
    ["--refresh-token-ttl", String(7 * 24 * 3600)],
    { ...process.env, ...clock.env() }
  )
  const home = makeHome(tmp, `day-${target.label}`, server)
  const agent = spawn(agentArgv[0], agentArgv.slice(1), {
    env: { ...home.env, ...clock.env() },
    stdio: "ignore"
  })
  try {
    for (let i = 0; !fs.existsSync(home.env.MAIRU_AGENT_SOCK); i++) {
      if (i > 400 || agent.exitCode !== null) throw new Error("the agent under libfaketime did not start")
      await sleep(50)
    }
    // Sped up, the agent's 15 s limit on each upstream call is a few dozen real milliseconds: a
    // busy machine may miss it, so the login may take a few attempts.
    for (let attempt = 1;; attempt++) {
      try {
        login(target, home)
        break
      } catch (error) {
        if (attempt === 5) throw error
      }
    }
    const pid = agent.pid
    const before = await stats(server)
    const hourMs = 3_600_000 / speed
    const rss = []
    let fresh = 0
    const daily = Array.from({ length: DAILY_ROLES }, (_, i) => `123456789012/Daily${i}`)
    const socket = home.env.MAIRU_AGENT_SOCK
    // Each role on a connection of its own, as credential-process asks. A request the agent cannot
    // answer in time (its upstream limit, sped up, is short) is counted, as a user would see it.
    let failed = 0
    const use = (roles) =>
      Promise.all(roles.map((role) => askAgent(target, socket, [credentialsRequest(role)]).catch(() => failed++)))
    for (let hour = 0; hour < HOURS; hour++) {
      const newcomers = Array.from({ length: NEW_ROLES_PER_HOUR }, () => `123456789012/Once${fresh++}`)
      await use([...daily, ...newcomers])
      const hourEnds = origin + (hour + 1) * hourMs
      // The daily roles in use about every twelve simulated minutes.
      while (Date.now() < hourEnds - hourMs / 5) {
        await sleep(hourMs / 5)
        await use(daily)
      }
      await sleep(Math.max(0, hourEnds - Date.now()))
      rss.push(rssMb(pid))
    }
    // Still logged in at the end of the day? (A refresh that the sped-up limit cut short may have ended it.)
    const loggedIn = await askAgent(target, socket, [credentialsRequest(daily[0])]).then(() => true, () => false)
    const after = await stats(server)
    const sum = (record) => Object.values(record ?? {}).reduce((a, b) => a + b, 0)
    return {
      speed,
      rssMbByHour: rss,
      sessionRefreshes: (after.token?.refresh_token ?? 0) - (before.token?.refresh_token ?? 0),
      credentialsIssued: sum(after.assumeRole) - sum(before.assumeRole),
      rolesUsed: DAILY_ROLES + fresh,
      failedRequests: failed,
      loggedIn,
      // How far the simulated clock went (the dev server's, which the agent's follows).
      simulatedHours: (after.clock - origin) / 3_600_000
    }
  } finally {
    await stopProcess(agent)
    await stopProcess(server.child)
  }
}
