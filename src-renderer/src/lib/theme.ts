/** Light and dark themes: the choice (stored, or the system's preference) and the chart colours of each. */

export type Theme = 'light' | 'dark';

export const THEME_KEY = 'sparseland.theme';

export function isTheme(v: unknown): v is Theme {
  return v === 'light' || v === 'dark';
}

/** A stored choice wins; otherwise follow the system. */
export function initialTheme(stored: string | null | undefined, prefersDark: boolean): Theme {
  return isTheme(stored) ? stored : prefersDark ? 'dark' : 'light';
}

/** Colours for canvas-drawn things (echarts, atom-grid gaps) that cannot read CSS variables. */
export interface Palette {
  readonly text: string;
  readonly muted: string;
  readonly axis: string;
  readonly grid: string;
  readonly tooltipBackground: string;
  readonly tooltipBorder: string;
  readonly series: readonly string[];
  /** Background between atoms in atom grids. */
  readonly gap: readonly [number, number, number];
  /** Behind a chart exported as PNG (the cards' surface colour). */
  readonly background: string;
  /** Heat-map colour ramp, low → high: sequential, readable against the surface in both themes. */
  readonly heat: readonly string[];
  /** Text on heat-map cells: on the low end of the ramp, and on the high end. */
  readonly heatText: readonly [string, string];
}

// Keep these in step with the CSS variables in styles.css.
const LIGHT: Palette = {
  text: '#1d2430',
  muted: '#5b6576',
  axis: '#9aa3b2',
  grid: '#e3e7ee',
  tooltipBackground: '#ffffff',
  tooltipBorder: '#cfd6e1',
  series: ['#2f6fde', '#d9622b', '#1d9a6c', '#9b4dca', '#c2410c', '#0e7490'],
  gap: [214, 220, 229],
  background: '#ffffff',
  heat: ['#f3f6fb', '#b9d1f5', '#5b8fe6', '#2f5fc4', '#142f6e'],
  heatText: ['#1d2430', '#ffffff'],
};

const DARK: Palette = {
  text: '#e6eaf2',
  muted: '#9aa5b8',
  axis: '#5d6779',
  grid: '#2a3140',
  tooltipBackground: '#1b212c',
  tooltipBorder: '#394255',
  series: ['#6ea8ff', '#ff9a62', '#4fd1a1', '#c79bff', '#f6c453', '#5fd4e8'],
  gap: [38, 45, 58],
  background: '#181d26',
  heat: ['#1f2633', '#27456f', '#3f73c0', '#7fb0ff', '#e3efff'],
  heatText: ['#e6eaf2', '#0d1420'],
};

export function paletteFor(theme: Theme): Palette {
  return theme === 'dark' ? DARK : LIGHT;
}
