import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { randomToken } from "../RandomToken.js"

/** The AWS config file could not be read or written, or mairu will not write it. */
export class AwsConfigFileError extends Data.TaggedError("AwsConfigFileError")<{ readonly message: string }> {}

/** The AWS config file as mairu found it. */
export interface AwsConfigFile {
  /** The path the AWS tools read: AWS_CONFIG_FILE or ~/.aws/config, made absolute. */
  readonly path: string
  /** Where its bytes are: `path` with every symbolic link followed. */
  readonly real: string
  /** Its bytes; None when it does not exist yet. */
  readonly bytes: Option.Option<Uint8Array>
}

/** AWS_CONFIG_FILE (a leading `~/` is the home folder, as the AWS tools read it), else ~/.aws/config. */
export const awsConfigPath = (home: string, awsConfigFile: Option.Option<string>): string =>
  Option.match(awsConfigFile, {
    onNone: () => path.join(home, ".aws", "config"),
    onSome: (file) => path.resolve(file.startsWith("~/") ? path.join(home, file.slice(2)) : file)
  })

const isNotFound = (error: PlatformError.PlatformError) => error._tag === "SystemError" && error.reason === "NotFound"

const failure = (what: string) => (error: PlatformError.PlatformError) =>
  new AwsConfigFileError({ message: `cannot ${what}: ${error.message}` })

/** Where `file` is once symbolic links are followed, for a file that may not exist yet (its folder's place). */
const realLocation = (fs: FileSystem.FileSystem, file: string): Effect.Effect<string, PlatformError.PlatformError> =>
  fs.realPath(file).pipe(Effect.catchIf(isNotFound, () => {
    const folder = path.dirname(file)
    return folder === file
      ? Effect.succeed(file)
      : Effect.map(realLocation(fs, folder), (real) => path.join(real, path.basename(file)))
  }))

const isWithin = (file: string, folder: string) =>
  file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep)

const readIfThere = (fs: FileSystem.FileSystem, file: string) =>
  fs.readFile(file).pipe(
    Effect.map(Option.some),
    Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<Uint8Array>()))
  )

/**
 * Reads the config file at `file`. To be written, it may lead out of the home folder
 * only as named: a symbolic link that leads out of it is refused, naming both places.
 */
export const readAwsConfig = (file: string, options: { readonly home: string; readonly forWriting: boolean }) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const real = yield* realLocation(fs, file)
    if (options.forWriting && real !== file) {
      const home = yield* fs.realPath(options.home).pipe(Effect.orElseSucceed(() => options.home))
      if (!isWithin(real, home)) {
        return yield* new AwsConfigFileError({
          message: `${file} leads through a symbolic link to ${real}, outside your home folder ${options.home}: ` +
            `mairu does not write there unasked. To write to that file, name it: AWS_CONFIG_FILE=${real} mairu profiles`
        })
      }
    }
    const bytes = yield* readIfThere(fs, real)
    return { path: file, real, bytes } satisfies AwsConfigFile
  }).pipe(Effect.catchTag("BadArgument", "SystemError", failure(`read ${file}`)))

const sameBytes = (a: Option.Option<Uint8Array>, b: Option.Option<Uint8Array>) =>
  Option.isNone(a) ? Option.isNone(b) : Option.isSome(b) && Buffer.compare(a.value, b.value) === 0

/**
 * Replaces the file's bytes with `content` at once: a temporary file in the same folder, synced
 * to disk, renamed over it. Its mode (and, run as root, its owner) stay; a new file is 0600 in a
 * folder made 0700. Fails, writing nothing, when the file changed since it was read.
 */
export const writeAwsConfig = (config: AwsConfigFile, content: Uint8Array) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const folder = path.dirname(config.real)
    const temporary = path.join(folder, `.${path.basename(config.real)}.mairu-${randomToken(6)}`)
    const write = Effect.gen(function*() {
      yield* fs.makeDirectory(folder, { recursive: true, mode: 0o700 })
      const before = Option.isSome(config.bytes) ? Option.some(yield* fs.stat(config.real)) : Option.none()
      const mode = Option.match(before, { onNone: () => 0o600, onSome: (info) => info.mode & 0o7777 })
      yield* Effect.scoped(Effect.gen(function*() {
        const file = yield* fs.open(temporary, { flag: "wx", mode })
        // writeAll fails on nothing to write (a file that loses its only block).
        if (content.length > 0) yield* file.writeAll(content)
        // The umask may have narrowed the mode the file was created with.
        yield* fs.chmod(temporary, mode)
        if (Option.isSome(before) && process.getuid?.() === 0) {
          const { gid, uid } = before.value
          if (Option.isSome(uid) && Option.isSome(gid)) yield* fs.chown(temporary, uid.value, gid.value)
        }
        yield* file.sync
      }))
      if (!sameBytes(yield* readIfThere(fs, config.real), config.bytes)) {
        return yield* new AwsConfigFileError({
          message: `${config.path} changed while mairu was writing it; nothing was written. Run the command again`
        })
      }
      yield* fs.rename(temporary, config.real)
      // The rename lasts once the folder is synced too; a file system that cannot sync a folder still renamed it.
      yield* Effect.scoped(Effect.flatMap(fs.open(folder, { flag: "r" }), (handle) => handle.sync)).pipe(Effect.ignore)
    })
    yield* write.pipe(
      Effect.onError(() => fs.remove(temporary).pipe(Effect.ignore)),
      Effect.catchTag("BadArgument", "SystemError", failure(`write ${config.path}`))
    )
  })
