import { describeLinuxProcess, linuxCommandName, linuxIsProcessAlive, linuxProcessStartTime } from "./LinuxProcesses.js"
import { linuxLoopbackPeer, linuxSocketListener } from "./LinuxSockets.js"
import { LINUX_NATIVE } from "./Native.js"
import { linuxPeerCredentials } from "./PeerCredentials.js"
import type { KoffiLibrary, Platform } from "./Platform.js"
import { type RunTool, runTool } from "./Tools.js"
import { canRun, userNameOf } from "./Unix.js"

// Linux: /proc and sock_diag tell who holds a socket and what a process is, prctl keeps
// debuggers out, setpriv passes on a parent's death.

const SETPRIV = "/usr/bin/setpriv"

const hasSetpriv = () => canRun(SETPRIV)

const PR_GET_DUMPABLE = 3
const PR_SET_DUMPABLE = 4

export const makeLinux = (run: RunTool = runTool): Platform => ({
  name: "Linux",
  socketPathLimit: 108,
  loopbackPeer: (connection, query) => Promise.resolve(linuxLoopbackPeer(connection, query)),
  peerCredentials: linuxPeerCredentials,
  describeProcess: describeLinuxProcess,
  commandName: linuxCommandName,
  processStartTime: linuxProcessStartTime,
  socketListener: linuxSocketListener,
  userName: (uid) => userNameOf(uid, run),
  isProcessAlive: linuxIsProcessAlive,
  desktopOpener: (hasDisplay) => hasDisplay ? "xdg-open" : undefined,
  withParentDeathSignal: (argv) => hasSetpriv() ? [SETPRIV, "--pdeathsig", "TERM", "--", ...argv] : argv,
  hardening: {
    ...LINUX_NATIVE,
    debuggerCall: "prctl(PR_SET_DUMPABLE, 0)",
    blockDebuggers: (libc: KoffiLibrary) => {
      const prctl = libc.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)")
      return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) === 0
    }
  },
  weaker: () =>
    hasSetpriv() ? [] : [
      `exec: the command keeps running if mairu is killed (SIGKILL), because ${SETPRIV} (util-linux) is missing`
    ]
})

export const linux: Platform = makeLinux()
