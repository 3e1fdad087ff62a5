import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { repoRoot } from "../support/mairu.js"

// What `npm pack` puts in the package (of the dist/ that `npm test` built first): koffi's native
// module, for the agent's hardening, for every platform mairu installs on.

/** Each platform's folder in dist/koffi, and the machine its module must be built for. */
const PLATFORMS = {
  darwin_arm64: { format: "Mach-O", cpu: 0x0100000c },
  darwin_x64: { format: "Mach-O", cpu: 0x01000007 },
  linux_arm64: { format: "ELF", cpu: 0xb7 },
  linux_x64: { format: "ELF", cpu: 0x3e },
  musl_arm64: { format: "ELF", cpu: 0xb7 },
  musl_x64: { format: "ELF", cpu: 0x3e }
} as const

/** The format and machine a shared library is built for, from its header. */
const machineOf = (file: string) => {
  const header = Buffer.alloc(20)
  const fd = fs.openSync(file, "r")
  try {
    fs.readSync(fd, header, 0, header.length, 0)
  } finally {
    fs.closeSync(fd)
  }
  if (header.readUInt32BE(0) === 0x7f454c46) return { format: "ELF", cpu: header.readUInt16LE(18) }
  if (header.readUInt32LE(0) === 0xfeedfacf) return { format: "Mach-O", cpu: header.readUInt32LE(4) }
  return { format: "unknown", cpu: 0 }
}

describe("the npm package", () => {
  it("holds koffi's native module for macOS and Linux (glibc and musl), arm64 and x64, and no install script", () => {
    // --ignore-scripts: prepack would rebuild dist/ under the other tests' feet.
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" })
    ) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>
    const files = packed!.files.map((file) => file.path)
    for (const [folder, machine] of Object.entries(PLATFORMS)) {
      const file = `dist/koffi/${folder}/koffi.node`
      expect(files, file).toContain(file)
      expect(machineOf(path.join(repoRoot, file)), file).toEqual(machine)
    }
    expect(files).toContain("dist/koffi/LICENSE.txt")
    expect(packed!.unpackedSize).toBeLessThan(20 * 1024 * 1024)
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>
      dependencies?: Record<string, string>
    }
    expect(Object.keys(manifest.scripts).filter((name) => /^(pre|post)?install$|^prepare$/.test(name))).toEqual([])
    expect(manifest.dependencies ?? {}).toEqual({})
  })
})
