/** The account's look, as the view applies it. */
export interface WidgetLook {
  /** `#rrggbb`, already checked by the server for contrast with white text; null for the default blue. */
  brandColor: string | null;
  position: 'left' | 'right';
}

const DEFAULT_BRAND = '#1f4fd1';

/** The brand colour 20% towards black: hover states keep the same contrast with white text or better. */
function darker(hex: string): string {
  const channel = (offset: number) => Math.round(parseInt(hex.slice(offset, offset + 2), 16) * 0.8).toString(16).padStart(2, '0');
  return `#${channel(1)}${channel(3)}${channel(5)}`;
}

export function brandStyle(brandColor: string | null): string {
  const color = brandColor && /^#[0-9a-fA-F]{6}$/.test(brandColor) ? brandColor : DEFAULT_BRAND;
  return `.wc { --wc-primary: ${color}; --wc-primary-dark: ${darker(color)}; }`;
}
