import * as fs from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"

/** Writes `script`, a browser for BROWSER that records each argv it is started with as one JSON line in `record`. */
export const writeRecordingBrowser = (script: string, record: string) =>
  fs.writeFileSync(
    script,
    `#!${process.execPath}\nrequire("node:fs").appendFileSync(${
      JSON.stringify(record)
    }, JSON.stringify(process.argv.slice(2)) + "\\n")\n`,
    { mode: 0o755 }
  )

/** Debian's chromium, headless, with nothing reaching beyond loopback. */
export const launchBrowser = () =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-gpu",
      "--no-first-run",
      "--disable-sync"
    ]
  })

/** Runs `use` with a fresh page and closes the browser whatever happens. */
export const withPage = async <A>(use: (page: Page, browser: Browser) => Promise<A>): Promise<A> => {
  const browser = await launchBrowser()
  try {
    return await use(await browser.newPage(), browser)
  } finally {
    await browser.close()
  }
}

/**
 * A person approving a code-grant login: opens the short URL mairu printed,
 * checks the authorization page is `pageUrlPrefix`, approves, and waits for
 * mairu's "you can close this window" page at `callbackPath`.
 */
export const approveInBrowser = (shortUrl: string, pageUrlPrefix: string, callbackPath: RegExp) =>
  withPage(async (page) => {
    await page.goto(shortUrl)
    if (!page.url().startsWith(pageUrlPrefix)) throw new Error(`the login went to ${page.url()}, not ${pageUrlPrefix}`)
    await page.click("#approve")
    await page.waitForURL(callbackPath)
    return page.textContent("#message")
  })
