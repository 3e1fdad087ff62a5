/**
 * Splits a byte stream into lines, refusing any line longer than `maxBytes`
 * so that a peer cannot make the reader buffer without bound.
 */
export class LineReader {
  private chunks: Array<Buffer> = []
  private size = 0

  constructor(private readonly maxBytes: number) {}

  /** Returns the complete lines in `chunk`, or "overflow" when a line grew past the limit. */
  push(chunk: Buffer): Array<string> | "overflow" {
    const lines: Array<string> = []
    let start = 0
    let newline = chunk.indexOf(10, start)
    while (newline !== -1) {
      const part = chunk.subarray(start, newline)
      if (this.size + part.length > this.maxBytes) return "overflow"
      this.chunks.push(part)
      lines.push(Buffer.concat(this.chunks).toString("utf8"))
      this.chunks = []
      this.size = 0
      start = newline + 1
      newline = chunk.indexOf(10, start)
    }
    const rest = chunk.subarray(start)
    if (this.size + rest.length > this.maxBytes) return "overflow"
    if (rest.length > 0) {
      this.chunks.push(rest)
      this.size += rest.length
    }
    return lines
  }
}
