import type { Rng } from './random';

/**
 * Text that breaks naive code: emoji (including ZWJ sequences, skin tones and flags), right-to-left
 * scripts, combining characters (the same visible name in NFC and NFD), CJK and quotes.
 */
const NAME_STEMS = [
  'Acme',
  'Café Zoë', // NFC
  'Cafe\u0301 Zoe\u0308', // the same name in NFD: combining acute and diaeresis
  'شركة الأمل', // Arabic (RTL)
  'חברת אור', // Hebrew (RTL)
  'Nguyễn & Trần', // stacked Vietnamese diacritics
  '株式会社 サクラ',
  '🚀 Rocket Labs',
  'Team 👩🏽‍💻👨‍👩‍👧',
  '🇧🇷 Brasil Ltda',
  'Z̤͔ͧ̑̓ä͖̭̈̇lgo Systems',
  'Ünïcödé GmbH',
  'O\'Brien "Quoted" Ltd',
  'Øresund ApS',
  'Ελληνική ΑΕ',
  'Müller-Lüdenscheidt',
  'مطبعة 🖨️ 2000',
  'Straße AG',
];
const NAME_SUFFIXES = ['', ' Inc.', ' Ltd', ' 株式会社', ' ש״ח', ' ✨', ' Group', ' (EU)'];

/** The two draws of an account's name (stem, suffix), kept as small indices instead of a string per account. */
export function drawAccountName(rng: Rng): { stem: number; suffix: number } {
  const stem = rng.int(NAME_STEMS.length);
  return { stem, suffix: rng.int(NAME_SUFFIXES.length) };
}

export function accountNameOf(stem: number, suffix: number, index: number): string {
  return `${NAME_STEMS[stem]}${NAME_SUFFIXES[suffix]} #${index}`;
}

const PAGE_TITLES = [
  'Dashboard',
  'لوحة التحكم', // Arabic
  'לוח בקרה', // Hebrew
  'Re\u0301sume\u0301', // combining
  'Résumé',
  'レポート',
  'Отчёт',
  '📈 Growth',
  '✅ Done 👍🏿',
  'e\u0301\u0301\u0301',
  'Mixed: abc مرحبا def',
];
const FEATURES = ['export', 'sso', 'workflows', 'ai-assist ✨', 'رسوم بيانية', 'תזכורות', 'a\u030Alerts'];
const PATHS = ['/', '/reports', '/settings/billing', '/ü/ñ', '/search?q=%F0%9F%90%88', '/docs/日本語'];

/**
 * A fixed pool of property maps shared by reference (records are only read when encoded), so the
 * generator does not allocate a map per event.
 */
export function propertyPool(rng: Rng, size = 64): Record<string, string>[] {
  return Array.from({ length: size }, () => {
    const props: Record<string, string> = {};
    const n = rng.int(4);
    if (n > 0) props.path = rng.pick(PATHS);
    if (n > 1) props.title = rng.pick(PAGE_TITLES);
    if (n > 2) props.feature = rng.pick(FEATURES);
    if (rng.chance(0.1)) props['ключ 🔑'] = rng.pick(PAGE_TITLES);
    return props;
  });
}
