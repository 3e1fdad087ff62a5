import * as ParseResult from "effect/ParseResult"
import * as SchemaAST from "effect/SchemaAST"

/**
 * A schema error as `path: what was expected`, never with the value that was found:
 * the value may be a secret (a server's answer) and may hold control characters.
 */

const expected = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    default: {
      const text = String(ast)
      return text.length > 80 ? text.slice(0, 79) + "…" : text
    }
  }
}

const collect = (
  issue: ParseResult.ParseIssue,
  path: ReadonlyArray<PropertyKey>,
  out: Array<{ path: ReadonlyArray<PropertyKey>; message: string }>
): void => {
  switch (issue._tag) {
    case "Pointer":
      return collect(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])], out)
    case "Type":
      out.push({ path, message: `expected ${expected(issue.ast)}` })
      return
    case "Missing":
      out.push({ path, message: "is missing" })
      return
    case "Unexpected":
      out.push({ path, message: "is not expected here" })
      return
    case "Forbidden":
      out.push({ path, message: "cannot be checked" })
      return
    case "Refinement":
      if (issue.kind === "Predicate") out.push({ path, message: `expected ${expected(issue.ast)}` })
      else collect(issue.issue, path, out)
      return
    case "Transformation":
      return collect(issue.issue, path, out)
    case "Composite":
      for (const inner of Array.isArray(issue.issues) ? issue.issues : [issue.issues]) collect(inner, path, out)
      return
  }
}

/** Every issue of `error` as `path: expected …`, `what` standing for the empty path (the whole value). */
export const describeParseError = (error: ParseResult.ParseError, what = "the value"): string => {
  const issues: Array<{ path: ReadonlyArray<PropertyKey>; message: string }> = []
  collect(error.issue, [], issues)
  const lines = issues.map((issue) =>
    `${issue.path.length === 0 ? what : issue.path.map(String).join(".")}: ${issue.message}`
  )
  return [...new Set(lines)].slice(0, 5).join("; ")
}
