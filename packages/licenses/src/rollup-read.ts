import type { CompactionState } from '@edusage/rollups';
export type { StateColumn } from '@edusage/rollups';

/** The window a license query reads: an inclusive range of district-local days of one district. */
export interface Window {
  districtId: string;
  from: string;
  to: string;
  /**
   * The compactions to read the rollups under, the same for every query of the report (e.g. as of
   * the compactions: asOfCompactions); default: the current ones, read by each query (stateToRead).
   */
  rollups?: CompactionState;
}
