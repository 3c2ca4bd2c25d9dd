export type { StateColumn } from '@edusage/rollups';

/** The window a license query reads: an inclusive range of district-local days of one district. */
export interface Window {
  districtId: string;
  from: string;
  to: string;
}
