/** What a server id may be: it names a `servers.d` file and is typed in commands (`mairu login ID`). */
export const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
