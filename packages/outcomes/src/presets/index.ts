import { iReady } from './iready';
import { mapGrowth } from './map-growth';
import { star } from './star';
import type { CsvPreset } from './types';

export * from './types';
export * from './generic';
export * from './edfi';
export * from './edfi-records';
export { mapGrowth, iReady, star };

/** The CSV presets by name (Ed-Fi and generic are built per file: see import.ts). */
export const CSV_PRESETS: Record<string, CsvPreset> = { 'map-growth': mapGrowth, iready: iReady, star };
export const PRESET_NAMES = ['map-growth', 'iready', 'star', 'edfi', 'generic'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
