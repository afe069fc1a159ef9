// RFC 6238 (TOTP) and RFC 4226 (HOTP) with node:crypto, as an authenticator app computes a
// marker's code from the base32 secret the cabinet shows once: HMAC-SHA1, 6 digits, 30 seconds.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const STEP_SECONDS = 30;

/** The bytes of a base32 secret (RFC 4648, no padding needed; spaces, as shown in groups, ignored). */
export function base32Decode(text) {
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const character of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = BASE32.indexOf(character);
    if (index < 0) throw new Error(`not base32: ${character}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The time step of `date`: seconds since the epoch over 30. */
export const stepAt = (date = new Date()) => Math.floor(date.getTime() / 1000 / STEP_SECONDS);

/** The 6-digit code of `secret` (base32) for time step `step` (RFC 4226 dynamic truncation). */
export function totp(secret, step = stepAt()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}
