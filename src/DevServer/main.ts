// The bundled local credential server: an OAuth 2.0 authorization server
// (oidc-provider), the Mairu API and a local STS, on 127.0.0.1 only. Used by the
// tests and by `npm run demo`; it keeps everything in memory.
import { resolvePaths } from "../Files/XdgPaths.js"
import { CLIENT_ID } from "./Oidc.js"
import { type DevServerOptions, helpText, parseDevServerArgs } from "./Options.js"
import { listen, serve, serverUrl } from "./Server.js"
import { serverFile, type ServerFileWrite, writeServerFile } from "./ServerFile.js"

function fail(message: string, code: number): never {
  process.stderr.write(`devserver: ${message}\n`)
  process.exit(code)
}

/** Writes the server file that --write-server-file asks for, or says why not and exits. */
const writeServerFileOrFail = (serversDir: string, id: string, url: string): ServerFileWrite => {
  let written: ServerFileWrite
  try {
    written = writeServerFile(serversDir, id, url)
  } catch (error) {
    fail(`cannot write the server file in ${serversDir}: ${error instanceof Error ? error.message : String(error)}`, 1)
  }
  if (written._tag === "Refused") {
    fail(
      `${written.file} exists and is not a file this server wrote; move it away, or choose another id: ` +
        `npm run devserver -- --write-server-file ID`,
      1
    )
  }
  return written
}

/** What a person at a terminal needs next: where the server is, its servers.d file, and the login. */
const summary = (url: string, options: DevServerOptions, serversDir: string, written: ServerFileWrite | undefined) => {
  const id = options.writeServerFile ?? "local"
  const file = written === undefined
    ? [
      `To use it, write ${serversDir}/${id}.json (or start it with --write-server-file ${id}):`,
      `  ${JSON.stringify(serverFile(id, url))}`
    ]
    : [written._tag === "Written" ? `Wrote ${written.file}.` : `${written.file} is written already.`]
  return [
    "",
    `The local credential server is at ${url} (OAuth client id ${CLIENT_ID}; ${
      options.autoApprove ? "logins are approved at once" : "a page in your browser asks you to approve each login"
    }).`,
    ...file,
    `Then run: mairu login ${id}`,
    "Ctrl-C stops it (it keeps nothing).",
    ""
  ].join("\n")
}

const parsed = parseDevServerArgs(process.argv.slice(2))
if (parsed._tag === "Help") {
  process.stdout.write(helpText(resolvePaths(process.env).serversDir))
  process.exit(0)
}
if (parsed._tag === "UsageError") fail(`${parsed.message}; see: npm run devserver -- --help`, 2)
const { options } = parsed

// A signal stops it at once, even while it starts: the listener closes with every connection
// (keep-alive ones and requests in flight included), and nothing else is left to finish.
let closeListener = () => {}
const stop = () => {
  closeListener()
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)

const server = await listen(options.port).catch((error: NodeJS.ErrnoException) =>
  fail(
    error.code === "EADDRINUSE"
      ? `port ${options.port} on 127.0.0.1 is in use; choose another --port, or leave it out for a free one`
      : `cannot listen on 127.0.0.1:${options.port}: ${error.message}`,
    1
  )
)
closeListener = () => {
  server.close()
  server.closeAllConnections()
}
const url = serverUrl(server)
await serve(server, url, options)

const { serversDir } = resolvePaths(process.env)
const written = options.writeServerFile === undefined
  ? undefined
  : writeServerFileOrFail(serversDir, options.writeServerFile, url)

process.stdout.write(JSON.stringify({ url, clientId: CLIENT_ID, stsEndpoint: `${url}sts/` }) + "\n")
if (process.stdout.isTTY) process.stdout.write(summary(url, options, serversDir, written))
