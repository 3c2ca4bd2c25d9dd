import type { Endpoint } from '../endpoint';
import { licenseEndpoints } from './licenses';
import { nameEndpoints } from './names';
import { outcomeEndpoints } from './outcomes';
import { qualityEndpoints } from './quality';
import { researchEndpoints } from './research';
import { tokenEndpoints } from './tokens';
import { usageEndpoints } from './usage';

/** Every endpoint of the API: the server registers these, the OpenAPI document describes them. */
export const ENDPOINTS: readonly Endpoint[] = [
  ...usageEndpoints,
  ...licenseEndpoints,
  ...outcomeEndpoints,
  ...qualityEndpoints,
  ...nameEndpoints,
  ...researchEndpoints,
  ...tokenEndpoints,
];
