/** Byte classes of HTTP/1.1 syntax (RFC 9110 §5.5, §5.6.2), as tables indexed by a byte or latin1 code. */

function byteTable(member: (code: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) table[code] = member(code) ? 1 : 0;
  return table;
}

const TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

/** 1 for `tchar`: the characters of a token (field names, transfer codings). */
export const TOKEN = byteTable(
  (code) =>
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    TOKEN_SYMBOLS.includes(String.fromCharCode(code)),
);

/**
 * 1 for what a field value, reason phrase or chunk extension may hold: HTAB, SP, VCHAR and obs-text.
 * Every other control (NUL, CR, LF, DEL...) is 0.
 */
export const FIELD_TEXT = byteTable((code) => code === 0x09 || (code >= 0x20 && code !== 0x7f));

/** The value of a hex digit, or -1. */
export const HEX_VALUE = Int8Array.from({ length: 256 }, (_, code) => {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
});
