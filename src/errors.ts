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

/** The errno code of a failed file or socket call (`ENOENT`), or the error's text. */
export function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? String(error);
}
