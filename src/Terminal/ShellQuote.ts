/** Quotes a word for a POSIX shell only when it needs it. */
export const shellQuote = (word: string) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
