export { type StatResult, DEFAULT_LEVEL } from './result';
export { type PValue, tTwoSided, tCritical, normalCritical } from './distributions';
export { mean, variance, meanWithCI, type MeanWithCI, type MeanOptions } from './descriptive';
export { averageRanks } from './ranks';
export { correlation, type Correlation, type CorrelationMethod, type CorrelationOptions } from './correlation';
export { ols, INTERCEPT, type OlsFit, type OlsOptions, type Coefficient, type Inference, type Predictor } from './ols';
export { fixedEffects } from './fixed-effects';
export {
  hedgesG,
  baselineDifference,
  WWC_SATISFIES,
  WWC_LIMIT,
  type HedgesG,
  type BaselineDifference,
  type WwcBaseline,
  type GroupOptions,
} from './effect-size';
export { tertileCuts, tertileOf, quantileSorted, type TertileCuts, type Tertile } from './quantiles';
export {
  suppress,
  belowK,
  DEFAULT_MIN_CELL,
  type Cell,
  type PublishedCell,
  type SuppressedTable,
  type SuppressOptions,
  type SuppressionReason,
} from './suppression';
export { completeCases, type CompleteCases } from './complete-cases';
