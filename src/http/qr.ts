import QRCode from 'qrcode';
import { Html } from '../../views/html.ts';

/** The QR code of an otpauth:// URI as inline SVG (no image request, nothing for the CSP to allow). */
export async function qrSvg(uri: string): Promise<Html> {
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  return new Html(svg);
}
