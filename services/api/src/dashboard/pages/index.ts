import type { PageDefinition } from '../page';
import { appsPage } from './apps';
import { healthPage } from './health';
import { licensesPage } from './licenses';
import { outcomesPage } from './outcomes';
import { overviewPage } from './overview';
import { researchPage } from './research';
import { schoolsPage } from './schools';

/** The dashboard's pages in navigation order; a role sees those whose `roles` include it. */
export const PAGES: readonly PageDefinition[] = [
  overviewPage,
  appsPage,
  licensesPage,
  outcomesPage,
  schoolsPage,
  healthPage,
  researchPage,
];
