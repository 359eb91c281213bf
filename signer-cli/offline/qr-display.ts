/**
 * An offline document as an animated QR code in the terminal: one BC-UR part per frame
 * (ur-codec.ts), drawn with the maintained `qrcode` library. On a terminal the frames cycle,
 * fountain parts included, until a key is pressed, so a scanner that missed frames still
 * completes; without one (a pipe, a log) every part that suffices is drawn once, in order.
 * Frames go to stderr, like prompts: stdout keeps the command's result (one JSON object with --json).
 */
import QRCode from 'qrcode';
import { isInteractive } from '../terminal';
import { urEncoder } from './ur-codec';

const FRAME_MS = 300;
/** A forgotten terminal does not animate forever. */
const MAX_ANIMATION_MS = 30 * 60 * 1000;

/** A UR part as QR text art; upper case lets the QR code use its compact alphanumeric mode (BCR-2020-005). */
export function qrFrame(part: string): Promise<string> {
  return QRCode.toString(part.toUpperCase(), { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
}

export async function showQr(bytes: Uint8Array, title: string): Promise<{ parts: number }> {
  const encoder = urEncoder(bytes);
  const out = process.stderr;
  if (!isInteractive()) {
    for (const [i, part] of encoder.pure.entries()) out.write(`${title}: frame ${i + 1} of ${encoder.pure.length}\n${await qrFrame(part)}${part}\n\n`);
    return { parts: encoder.pure.length };
  }
  out.write(`${title}: ${encoder.pure.length} part(s); hold the other machine's camera to the code. Press any key when it has read it.\n`);
  let drawn = 0;
  let stop = false;
  const stdin = process.stdin;
  const onKey = () => {
    stop = true;
  };
  stdin.setRawMode(true);
  stdin.resume();
  stdin.once('data', onKey);
  const started = Date.now();
  try {
    while (!stop && Date.now() - started < MAX_ANIMATION_MS) {
      const frame = await qrFrame(encoder.next());
      // Draw over the previous frame.
      if (drawn > 0) out.write(`\u001b[${drawn}A`);
      out.write(frame);
      drawn = frame.split('\n').length - 1;
      await new Promise((resolve) => setTimeout(resolve, FRAME_MS));
    }
  } finally {
    stdin.removeListener('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
  return { parts: encoder.pure.length };
}
