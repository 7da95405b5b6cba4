// The CLI's window on the world. Tests pass their own Io to capture output.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  cwd: string;
}

export function nodeIo(): Io {
  return {
    stdout: (text) => { process.stdout.write(text); },
    stderr: (text) => { process.stderr.write(text); },
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
  };
}

export function captureIo(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) { io.out += text; },
    stderr(text: string) { io.err += text; },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    cwd: process.cwd(),
  };
  return io;
}
