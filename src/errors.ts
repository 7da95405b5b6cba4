// Typed errors: the CLI maps each to the contract's exit codes. The core never prints.

export const ExitCode = { Ok: 0, GateFailed: 1, BadInput: 2, Internal: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad input: names the file and (where there is one) the line. Exit 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  oneLine(): string {
    return `${this.file}${this.line === null ? '' : `:${this.line}`}: ${this.message}`;
  }
}

/** Bad usage (options, missing arguments, a server name that does not exist). Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A bug: an invariant that should have held did not. Exit 3. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return process.env.EXRELAY_DEBUG === '1' && error.stack ? error.stack : error.message;
  return String(error);
}

/**
 * What a failed file or socket call says, in words (`no such file or directory`, not `ENOENT`):
 * libuv's own text, which Node puts before the first comma of the message
 * ("ENOENT: no such file or directory, open 'x'"), else a table of the codes a file or socket
 * call on Node 20 gives, else the error's text.
 */
export function errnoMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException | null;
  const code = e?.code;
  if (code !== undefined) {
    const fromLibuv = new RegExp(`^${code}: ([^,]+)`).exec(e?.message ?? '')?.[1];
    if (fromLibuv !== undefined) return fromLibuv.trim();
    const known = ERRNO_WORDS[code];
    if (known !== undefined) return known;
  }
  return error instanceof Error ? error.message : String(error);
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  EBUSY: 'resource busy or locked',
  ECONNREFUSED: 'connection refused',
  EEXIST: 'file already exists',
  EFBIG: 'file too large',
  EIO: 'i/o error',
  EISDIR: 'illegal operation on a directory',
  ELOOP: 'too many symbolic links encountered',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};
