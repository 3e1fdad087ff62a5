import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { runCli } from "../support/cli.js"

const FORMS = "give a service (s3), a console path (/s3/buckets) or an https URL under https://console.aws.amazon.com/"

describe("mairu console's flags", () => {
  it.effect("refuse a duration out of bounds and a destination it does not understand, before asking for credentials", () =>
    Effect.gen(function*() {
      const cases: Array<[Array<string>, string]> = [
        [
          ["--duration", "600"],
          "--duration 600 (600 seconds) is not within 900 to 43200 seconds (15m to 12h), which AWS allows for a console session"
        ],
        [
          ["--duration", "13h"],
          "--duration 13h (46800 seconds) is not within 900 to 43200 seconds (15m to 12h), which AWS allows for a console session"
        ],
        [
          ["--duration", "soon"],
          "--duration soon is not a duration: give seconds (3600) or hours and minutes (1h, 90m, 1h30m)"
        ],
        [["--destination", "s3 buckets"], `--destination "s3 buckets" is not a destination; ${FORMS}`],
        [["--destination", "s3/buckets"], `--destination "s3/buckets" is not a destination; ${FORMS}`],
        [["--destination", "/a b"], `--destination "/a b" holds blanks or control characters; ${FORMS}`],
        [
          ["--destination", "https://evil.example/"],
          `--destination "https://evil.example/" is not an AWS console page; ${FORMS}`
        ],
        [
          ["--destination", "http://console.aws.amazon.com/"],
          `--destination "http://console.aws.amazon.com/" is not an AWS console page; ${FORMS}`
        ],
        [["--destination", "https://"], `--destination "https://" is not a URL; ${FORMS}`],
        [["--destination", "//evil.example/x"], `--destination "//evil.example/x" is not a destination; ${FORMS}`],
        [["--region", "moon"], "--region moon is not an AWS region name such as us-east-1 or eu-west-2"],
        [
          ["--region", "eu-west-1", "--destination", "https://console.aws.amazon.com/s3/"],
          "--destination \"https://console.aws.amazon.com/s3/\" is a full URL, which already names the console page; " +
          "drop --region, or give a service or a path with it"
        ]
      ]
      for (const [args, message] of cases) {
        // No server is named: a good flag would fail for that instead.
        const run = yield* runCli(["console", "--print", ...args, "123456789012/Developer"])
        expect({ args, code: run.code, products: run.products, messages: run.messages, requests: run.requests })
          .toEqual({ args, code: 1, products: [], messages: [message], requests: [] })
      }
      const noServer = yield* runCli(["console", "--print", "--duration", "1h", "123456789012/Developer"])
      expect(noServer.messages).toEqual([
        "which server should give 123456789012/Developer? Pass --server SERVER (or set MAIRU_SERVER), or use the role auto"
      ])
    }))
})
