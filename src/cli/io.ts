// The CLI's window on the world. Tests pass their own Io to capture output.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  cwd: string;
}

/**
 * Text bound for a terminal, with every control character but tab and line feed shown as
 * `\xHH`: customer values (a connector named with an escape sequence, a banner with a
 * carriage return) then cannot move the cursor, retitle the window, hide lines or ring the
 * bell. Output to files and pipes stays byte-exact.
 */
export function forTerminal(text: string): string {
  // C0 controls except \t and \n, DEL, and the C1 controls (U+0080–U+009F: CSI and OSC too)
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function nodeIo(): Io {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  return {
    stdout: (text) => { process.stdout.write(stdoutIsTTY ? forTerminal(text) : text); },
    stderr: (text) => { process.stderr.write(stderrIsTTY ? forTerminal(text) : text); },
    stdoutIsTTY,
    stderrIsTTY,
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
