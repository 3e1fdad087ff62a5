import type * as http from "node:http"

export const MAX_BODY_BYTES = 1024 * 1024

/** Reads a request body up to `MAX_BODY_BYTES`; undefined when it is larger. */
export const readBody = (req: http.IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
  res.end(JSON.stringify(body))
}

export const sendText = (res: http.ServerResponse, status: number, contentType: string, body: string) => {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" })
  res.end(body)
}

export const bearerToken = (req: http.IncomingMessage): string | undefined => {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")
  return match?.[1]
}
