import * as crypto from "node:crypto"
import type * as http from "node:http"
import { readBody, sendJson, sendText } from "./Http.js"
import { verifySigV4 } from "./SigV4.js"
import { type DevState, type IssuedKey, rfc3339 } from "./State.js"

const NS = "https://sts.amazonaws.com/doc/2011-06-15/"
const TARGET_PREFIX = "AWSSecurityTokenServiceV20110615."

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

type Protocol = "query" | "json"

interface StsRequest {
  readonly protocol: Protocol
  readonly action: string
  readonly params: Record<string, string>
}

const parseRequest = (req: http.IncomingMessage, body: Buffer): StsRequest => {
  const contentType = String(req.headers["content-type"] ?? "")
  if (contentType.includes("x-amz-json")) {
    const target = String(req.headers["x-amz-target"] ?? "")
    let params: Record<string, string> = {}
    try {
      const json = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>
      params = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, String(v)]))
    } catch {
      params = {}
    }
    return {
      protocol: "json",
      action: target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "",
      params
    }
  }
  const form = new URLSearchParams(body.toString("utf8"))
  const query = new URL(req.url ?? "/", "http://placeholder").searchParams
  const params: Record<string, string> = {}
  for (const [k, v] of query) params[k] = v
  for (const [k, v] of form) params[k] = v
  return { protocol: "query", action: params.Action ?? "", params }
}

const requestId = () => crypto.randomUUID()

const sendError = (res: http.ServerResponse, protocol: Protocol, status: number, code: string, message: string) => {
  if (protocol === "json") {
    res.setHeader("x-amzn-query-error", `${code};Sender`)
    return sendJson(res, status, { __type: code, message })
  }
  sendText(
    res,
    status,
    "text/xml",
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`
  )
}

const sendResult = (res: http.ServerResponse, protocol: Protocol, action: string, json: object, xml: string) => {
  if (protocol === "json") return sendJson(res, 200, json)
  sendText(
    res,
    200,
    "text/xml",
    `<${action}Response xmlns="${NS}"><${action}Result>${xml}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`
  )
}

const getCallerIdentity = (res: http.ServerResponse, protocol: Protocol, key: IssuedKey) =>
  sendResult(
    res,
    protocol,
    "GetCallerIdentity",
    { UserId: key.userId, Account: key.account, Arn: key.arn },
    `<UserId>${xmlEscape(key.userId)}</UserId><Account>${key.account}</Account><Arn>${xmlEscape(key.arn)}</Arn>`
  )

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/

const assumeRole = (res: http.ServerResponse, request: StsRequest, state: DevState) => {
  const { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds, ExternalId } = request.params
  const arn = ROLE_ARN.exec(roleArn ?? "")
  if (arn === null) return sendError(res, request.protocol, 400, "ValidationError", "RoleArn is not a valid role ARN")
  if (sessionName === undefined || !/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    return sendError(res, request.protocol, 400, "ValidationError", "RoleSessionName is missing or invalid")
  }
  const duration = DurationSeconds === undefined ? 3600 : Number(DurationSeconds)
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    return sendError(res, request.protocol, 400, "ValidationError", "DurationSeconds must be 900 to 43200")
  }
  state.stats.assumeRoleCalls.push({
    roleArn: roleArn!,
    roleSessionName: sessionName,
    externalId: ExternalId ?? null,
    durationSeconds: DurationSeconds === undefined ? null : duration
  })
  const key = state.issueKey(arn[1]!, arn[2]!, sessionName, duration)
  sendResult(
    res,
    request.protocol,
    "AssumeRole",
    {
      Credentials: {
        AccessKeyId: key.accessKeyId,
        SecretAccessKey: key.secretAccessKey,
        SessionToken: key.sessionToken,
        Expiration: key.expiration.getTime() / 1000
      },
      AssumedRoleUser: { Arn: key.arn, AssumedRoleId: key.userId }
    },
    `<Credentials><AccessKeyId>${key.accessKeyId}</AccessKeyId><SecretAccessKey>${
      xmlEscape(key.secretAccessKey)
    }</SecretAccessKey>` +
      `<SessionToken>${xmlEscape(key.sessionToken)}</SessionToken><Expiration>${
        rfc3339(key.expiration)
      }</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>${xmlEscape(key.arn)}</Arn><AssumedRoleId>${
        xmlEscape(key.userId)
      }</AssumedRoleId></AssumedRoleUser>` +
      `<PackedPolicySize>0</PackedPolicySize>`
  )
}

/** A local STS: GetCallerIdentity and AssumeRole, only for requests signed with keys this server issued. */
export const makeSts = (state: DevState) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
  const body = (await readBody(req)) ?? Buffer.alloc(0)
  const request = parseRequest(req, body)
  const check = await verifySigV4(req, body, (id) => state.keys.get(id))
  if (!check.ok) return sendError(res, request.protocol, 403, check.code, check.message)
  switch (request.action) {
    case "GetCallerIdentity":
      state.stats.sts.GetCallerIdentity = (state.stats.sts.GetCallerIdentity ?? 0) + 1
      return getCallerIdentity(res, request.protocol, check.key)
    case "AssumeRole":
      state.stats.sts.AssumeRole = (state.stats.sts.AssumeRole ?? 0) + 1
      return assumeRole(res, request, state)
    default:
      return sendError(res, request.protocol, 400, "InvalidAction", `Unknown action ${request.action}`)
  }
}
