import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Unknown } from "../../Schemas/AgentErrors.js"
import type { AssumeRoleChain } from "../../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import { Settings } from "../../Services/Settings.js"
import { loadSts } from "../Aws/Sdk.js"
import { fromSdkError } from "../Aws/SdkErrors.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { RoleChain, sessionNameFromArn, validSessionName } from "../Services/RoleChain.js"

const client = (sts: typeof import("@aws-sdk/client-sts"), credentials: AwsCredentials, region: string) =>
  new sts.STSClient({
    region,
    maxAttempts: 3,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: Redacted.value(credentials.secretAccessKey),
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: Redacted.value(credentials.sessionToken) })
    }
  })

const call = <A>(what: string, send: (signal: AbortSignal) => Promise<A>) =>
  Effect.tryPromise({ try: send, catch: (error) => fromSdkError(undefined, what, error) }).pipe(
    Effect.timeoutFail({
      duration: UPSTREAM_TIMEOUT,
      onTimeout: () => new Unknown({ message: `${what}: STS did not answer within ${UPSTREAM_TIMEOUT}` })
    })
  )

/**
 * Role chaining in the agent. The STS region (AWS_REGION, else AWS_DEFAULT_REGION, else
 * us-east-1) and the last-resort session name (USER) are the agent's own settings.
 */
export const RoleChainLive = Layer.effect(
  RoleChain,
  Effect.gen(function*() {
    const settings = yield* Settings
    const region = Option.getOrElse(settings.awsRegion, () => "us-east-1")
    const fallbackSessionName = validSessionName(Option.getOrUndefined(settings.user)) ?? "mairu"
    return {
      assume: (firstHop: AwsCredentials, chain: AssumeRoleChain) =>
        Effect.gen(function*() {
          const sts = yield* loadSts
          const stsClient = client(sts, firstHop, region)
          const sessionName = validSessionName(chain.roleSessionName) ?? (yield* call(
            "sts:GetCallerIdentity with the first hop",
            (abortSignal) => stsClient.send(new sts.GetCallerIdentityCommand({}), { abortSignal })
          ).pipe(
            Effect.map((identity) => sessionNameFromArn(identity.Arn ?? "")),
            Effect.orElseSucceed(() => undefined)
          )) ?? fallbackSessionName
          const answer = yield* call(
            `sts:AssumeRole ${chain.roleArn}`,
            (abortSignal) =>
              stsClient.send(
                new sts.AssumeRoleCommand({
                  RoleArn: chain.roleArn,
                  RoleSessionName: sessionName,
                  ...(chain.durationSeconds === undefined ? {} : { DurationSeconds: chain.durationSeconds }),
                  ...(chain.externalId === undefined ? {} : { ExternalId: chain.externalId })
                }),
                { abortSignal }
              )
          )
          const c = answer.Credentials
          if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
            return yield* new Unknown({ message: `sts:AssumeRole ${chain.roleArn}: the answer has no credentials` })
          }
          return {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: Redacted.make(c.SecretAccessKey),
            sessionToken: c.SessionToken === undefined ? undefined : Redacted.make(c.SessionToken),
            expiration: c.Expiration,
            noCache: false
          } satisfies AwsCredentials
        })
    }
  })
)
