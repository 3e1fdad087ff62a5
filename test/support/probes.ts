import * as fs from "node:fs"
import * as path from "node:path"
import type { MairuHome } from "./mairu.js"

/**
 * Small programs that `mairu exec` runs in tests: each prints one JSON line
 * with what an AWS tool saw, so the test can check it.
 */
export const writeProbes = (home: MairuHome) => {
  const dir = path.join(home.root, "probes")
  fs.mkdirSync(dir, { recursive: true })
  const sdkProbe = path.join(dir, "sdk-probe.mjs")
  // The AWS SDK for JS with its default credential chain, resolved from the project's node_modules.
  fs.writeFileSync(
    sdkProbe,
    `import { createRequire } from "node:module"
const require = createRequire(${JSON.stringify(path.join(process.cwd(), "package.json"))})
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts")
const [endpoint, rounds = "1", pauseMs = "0"] = process.argv.slice(2)
const sts = new STSClient({ region: "us-east-1", endpoint })
const arns = []
const keys = new Set()
for (let i = 0; i < Number(rounds); i++) {
  const identity = await sts.send(new GetCallerIdentityCommand({}))
  arns.push(identity.Arn)
  keys.add((await sts.config.credentials()).accessKeyId)
  await new Promise((r) => setTimeout(r, Number(pauseMs)))
}
console.log(JSON.stringify({ arns, keys: keys.size }))
`
  )
  const botoProbe = path.join(dir, "boto-probe.py")
  fs.writeFileSync(
    botoProbe,
    `import boto3, json, sys
sts = boto3.Session().client("sts", endpoint_url=sys.argv[1], region_name="us-east-1")
print(json.dumps(sts.get_caller_identity()))
`
  )
  const argvProbe = path.join(dir, "argv-probe.mjs")
  fs.writeFileSync(argvProbe, "console.log(JSON.stringify(process.argv.slice(2)))\n")
  return { sdkProbe, botoProbe, argvProbe }
}
