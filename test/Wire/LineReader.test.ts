import { describe, expect, it } from "vitest"
import { LineReader } from "../../src/Wire/LineReader.js"

describe("LineReader", () => {
  it("joins lines split across chunks and returns several lines from one chunk", () => {
    const reader = new LineReader(100)
    expect(reader.push(Buffer.from("{\"a\":"))).toEqual([])
    expect(reader.push(Buffer.from("1}\n{\"b\":2}\n{\"c\""))).toEqual(["{\"a\":1}", "{\"b\":2}"])
    expect(reader.push(Buffer.from(":3}\n"))).toEqual(["{\"c\":3}"])
  })

  it("refuses a line longer than its limit, even before the newline arrives", () => {
    const reader = new LineReader(10)
    expect(reader.push(Buffer.from("12345"))).toEqual([])
    expect(reader.push(Buffer.from("678901"))).toBe("overflow")
    expect(new LineReader(4).push(Buffer.from("12345\n"))).toBe("overflow")
  })

  it("keeps multi-byte characters split across chunks whole", () => {
    const reader = new LineReader(100)
    const bytes = Buffer.from("héllo\n")
    expect(reader.push(bytes.subarray(0, 2))).toEqual([])
    expect(reader.push(bytes.subarray(2))).toEqual(["héllo"])
  })
})
