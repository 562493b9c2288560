/**
 * The phone computes the same pay code as the backend's pyotp (values taken from pyotp).
 *
 * @jest-environment node
 */
import { base32Decode, payCodeAt, sha1, totp } from '../../../src/utils/totp'

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

test('sha1 matches the standard test vectors', () => {
  expect(hex(sha1(new TextEncoder().encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
  expect(hex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  const long = new TextEncoder().encode('a'.repeat(1000))
  expect(hex(sha1(long))).toBe('291e9a6c66994949b57ba5e650361e98fc36b1ba')
})

test('base32 secrets decode as pyotp reads them', () => {
  expect(new TextDecoder().decode(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'))).toBe('12345678901234567890')
})

test.each([
  ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59, '287082'],
  ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1111111109, '081804'],
  ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1700000000, '921300'],
  ['UHF3Z6X26QNYDDUFPKTCFVIEO763E3PA', 1765000000, '850723'],
])('TOTP of %s at %i is %s, as pyotp computes it', (secret, at, code) => {
  expect(totp(secret, at, 30, 6)).toBe(code)
})

test('a pay code is the prefix, the key id and the TOTP, and changes at the next step', () => {
  const key = { key_id: '0000000042', secret: 'UHF3Z6X26QNYDDUFPKTCFVIEO763E3PA', prefix: '66', step_seconds: 30, digits: 6 }

  const shown = payCodeAt(key, 1765000000 * 1000)

  expect(shown.code).toBe('660000000042850723')
  expect(shown.nextChangeMs).toBe(1765000020 * 1000)
})
