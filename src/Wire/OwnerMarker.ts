/**
 * The file next to an agent's socket that names the socket's inode: a dead socket
 * that it names was left by an agent of this machine that died.
 */
export const ownerMarkerPath = (socketPath: string) => `${socketPath}.owner`
