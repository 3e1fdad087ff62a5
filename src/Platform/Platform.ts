import type * as net from "node:net"
import type { ProcessDescription } from "../Schemas/Audit.js"

/**
 * Every facility of the operating system that differs between Linux and macOS, behind
 * one interface: Linux.ts and MacOs.ts implement it, ThisPlatform.ts picks one once.
 * Effect-free: the fast paths use some of it.
 */

/** A TCP connection on this machine, as the server that accepted it sees it. */
export interface LoopbackConnection {
  /** The end that connected (`req.socket.remoteAddress`/`remotePort`). */
  readonly client: { readonly address: string; readonly port: number }
  /** The end that accepted (`req.socket.localAddress`/`localPort`). */
  readonly server: { readonly address: string; readonly port: number }
}

/** Who holds the client end of a loopback connection. */
export type LoopbackPeer =
  /** A process of user `uid`; `pid` when it was looked for (or came at no cost) and found. */
  | { readonly _tag: "Found"; readonly uid: number; readonly pid: number | undefined }
  /** The system lists connections, but not this one (gone, or a process this user cannot see). */
  | { readonly _tag: "NotListed" }
  /** This system cannot tell (no /proc, no lsof). */
  | { readonly _tag: "CannotTell"; readonly reason: string }

/** What to find of a loopback peer besides its user. */
export interface LoopbackPeerQuery {
  /**
   * Its process too: `true` looks through every process this user may see;
   * `{ descendantsOf: PID }` looks among that process's descendants first (a command
   * and what it starts). Where the process comes with the user anyway, it is always given.
   */
  readonly pid?: boolean | { readonly descendantsOf: number } | undefined
}

/** The process at the other end of a unix socket, as the kernel tells it; else why it cannot be told. */
export type PeerCredentials =
  | { readonly pid: number; readonly uid: number }
  | { readonly reason: string }

/** The process listening on a unix socket. */
export interface SocketListener {
  readonly pid: number
  /** Its command line, or "" when it could not be read. */
  readonly command: string
}

/** koffi's native module, as far as the hardening uses it. */
export interface KoffiFunction {
  (...args: ReadonlyArray<unknown>): number
}
export interface KoffiLibrary {
  func(signature: string): KoffiFunction
}
export interface Koffi {
  load(name: string): KoffiLibrary
  struct(name: string, fields: Record<string, string>): unknown
}

export interface Platform {
  /** As users know it: "Linux", "macOS". */
  readonly name: string
  /** The longest unix socket path, in bytes, that bind and connect take whole (the size of sun_path). */
  readonly socketPathLimit: number
  /** The user (and, as `query` asks, the process) at the client end of a loopback TCP connection this process accepted. */
  readonly loopbackPeer: (connection: LoopbackConnection, query?: LoopbackPeerQuery) => Promise<LoopbackPeer>
  /** Who connected to `socket`, a unix socket this process accepted, as the kernel tells it. */
  readonly peerCredentials: (socket: net.Socket) => PeerCredentials
  /** What can be seen of process `pid` (executable, command line, folder, parents), read at once; never fails. */
  readonly describeProcess: (pid: number) => Promise<ProcessDescription>
  /** The command name of `pid`, shown safely. */
  readonly commandName: (pid: number) => Promise<string | undefined>
  /**
   * When `pid` started, which tells a process from a later one that got the same pid;
   * undefined where it cannot be read cheaply.
   */
  readonly processStartTime: (pid: number) => string | undefined
  /** The process of this user listening on the unix socket at `socketPath`, when the system tells. */
  readonly socketListener: (socketPath: string) => SocketListener | undefined
  /** The login name of `uid`, when known. */
  readonly userName: (uid: number) => string | undefined
  /** True while process `pid` runs; an exited process that no parent has reaped yet (a zombie) counts as gone. */
  readonly isProcessAlive: (pid: number) => boolean
  /** The command that opens a URL in the desktop's browser, or undefined when there is no desktop. */
  readonly desktopOpener: (hasDisplay: boolean) => string | undefined
  /**
   * `argv` wrapped so that the command gets SIGTERM when mairu dies without passing a
   * signal on, or `argv` itself where the system has no way to do that.
   */
  readonly withParentDeathSignal: (argv: ReadonlyArray<string>) => ReadonlyArray<string>
  readonly hardening: {
    /** koffi's folders of prebuilt modules that suit this machine, most likely first. */
    readonly koffiFolders: ReadonlyArray<string>
    /** The C library's names, tried in turn. */
    readonly libc: ReadonlyArray<string>
    /** What `debuggersBlocked` means here. */
    readonly debuggerCall: string
    /** Keeps debuggers (and, where the system can, other processes of the user) out; true when it did. */
    readonly blockDebuggers: (libc: KoffiLibrary) => boolean
  }
  /** What mairu does less well here than on Linux, one sentence each; for `status` and the README. */
  readonly weaker: () => ReadonlyArray<string>
}
