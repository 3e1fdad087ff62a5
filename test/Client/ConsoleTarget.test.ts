import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { consoleTarget, parseDuration } from "../../src/Client/ConsoleTarget.js"

const none = { federationEndpoint: undefined, consoleDestination: undefined }
const flags = (region?: string, destination?: string, duration?: string) => ({ region, destination, duration })

describe("console target", () => {
  it.effect("follows the region's partition for the sign-in endpoint and the console host", () =>
    Effect.gen(function*() {
      expect(yield* consoleTarget(flags(), none)).toEqual({
        federationEndpoint: "https://signin.aws.amazon.com/federation",
        destination: "https://console.aws.amazon.com/",
        sessionDuration: 3600
      })
      expect(yield* consoleTarget(flags("cn-north-1", "ec2"), none)).toEqual({
        federationEndpoint: "https://signin.amazonaws.cn/federation",
        destination: "https://console.amazonaws.cn/ec2/home?region=cn-north-1",
        sessionDuration: 3600
      })
      expect((yield* consoleTarget(flags("us-gov-east-1"), none)).federationEndpoint).toBe(
        "https://signin.amazonaws-us-gov.com/federation"
      )
      // The overrides win over the partition, and the page applies only without --region or --destination.
      const overrides = {
        federationEndpoint: "http://127.0.0.1:1/federation",
        consoleDestination: "https://console.aws.amazon.com/x"
      }
      expect(yield* consoleTarget(flags(undefined, undefined, "15m"), overrides)).toEqual({
        federationEndpoint: "http://127.0.0.1:1/federation",
        destination: "https://console.aws.amazon.com/x",
        sessionDuration: 900
      })
      expect((yield* consoleTarget(flags("eu-west-3"), overrides)).destination).toBe(
        "https://eu-west-3.console.aws.amazon.com/console/home?region=eu-west-3"
      )
      // A path that names its own region keeps it.
      expect((yield* consoleTarget(flags("eu-west-3", "/s3/home?region=us-east-1"), none)).destination).toBe(
        "https://eu-west-3.console.aws.amazon.com/s3/home?region=us-east-1"
      )
    }))

  it.effect("refuses what is not a destination, naming --destination", () =>
    Effect.gen(function*() {
      for (
        const destination of [
          "/\u0007beep",
          "/a b",
          "s3 ",
          "S3",
          "javascript:alert(1)",
          "https://console.aws.amazon.com.evil.example/"
        ]
      ) {
        const error = yield* Effect.flip(consoleTarget(flags(undefined, destination), none))
        expect(error).toMatchObject({ _tag: "InvalidOption", option: "--destination", value: destination })
      }
    }))

  it("reads durations as seconds or hours, minutes and seconds", () => {
    expect(parseDuration("3600")).toBe(3600)
    expect(parseDuration("1h30m")).toBe(5400)
    expect(parseDuration("90m")).toBe(5400)
    expect(parseDuration("2h5s")).toBe(7205)
    expect(parseDuration("")).toBeUndefined()
    expect(parseDuration("1d")).toBeUndefined()
    expect(parseDuration("m")).toBeUndefined()
  })
})
