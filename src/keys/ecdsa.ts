/**
 * ECDSA signatures in the form JWS uses (r‖s, each left-padded to the curve's size, RFC 7518 3.4)
 * from the DER form OpenSSL produces. Node can produce the JWS form itself (`dsaEncoding:
 * 'ieee-p1363'`), but only through an options object, and Node recognises that object by letting
 * two KeyObject/CryptoKey checks throw: two captured stack traces per signature, a tenth of a
 * client-credentials grant. Signing with the bare KeyObject and converting here avoids them.
 */
export function derToJose(der: Uint8Array, size: number): Buffer {
  // SEQUENCE { INTEGER r, INTEGER s }; a P-256 or P-384 signature fits the short length form.
  if (der[0] !== 0x30 || der[1] !== der.length - 2 || der[1]! > 127) throw new Error('bad DER signature');
  const out = Buffer.alloc(size * 2);
  let offset = 2;
  for (let i = 0; i < 2; i++) {
    if (der[offset] !== 0x02) throw new Error('bad DER signature');
    const length = der[offset + 1]!;
    let start = offset + 2;
    const end = start + length;
    if (end > der.length) throw new Error('bad DER signature');
    // A leading zero only keeps a high bit from reading as a sign.
    while (end - start > size && der[start] === 0) start++;
    if (end - start > size) throw new Error('bad DER signature');
    out.set(der.subarray(start, end), size * (i + 1) - (end - start));
    offset = end;
  }
  if (offset !== der.length) throw new Error('bad DER signature');
  return out;
}
