// Timing whole processes, and summarising samples.
import { spawn } from "node:child_process"

const since = (started) => Number(process.hrtime.bigint() - started) / 1e6

/**
 * Milliseconds from just before `file ARGS` is spawned to its exit, or with `untilOutput` to the
 * first byte it writes on stdout (the process is still waited for). Rejects unless it exits 0.
 */
export const timeProcess = (file, args, { env, untilOutput = false }) =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let firstOutput
    let stderr = ""
    child.stdout.once("data", () => {
      firstOutput = since(started)
      child.stdout.resume()
    })
    child.stderr.on("data", (data) => (stderr += data))
    child.once("error", reject)
    child.once("exit", (code, signal) => {
      const exited = since(started)
      if (code !== 0) return reject(new Error(`${[file, ...args].join(" ")} exited ${code ?? signal}: ${stderr}`))
      if (untilOutput && firstOutput === undefined) return reject(new Error(`${args.join(" ")} wrote nothing`))
      resolve(untilOutput ? firstOutput : exited)
    })
  })

/** The value below which a fraction `p` of `values` lies (nearest rank). */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * p)))]
}

export const summary = (values) => ({
  p10: percentile(values, 0.1),
  p50: percentile(values, 0.5),
  p90: percentile(values, 0.9),
  n: values.length
})
