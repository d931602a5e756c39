// One entry point for every strategy: recommend(strategy, input, state) → recommendation and the state to
// pass next time (incremental histograms; a fresh state recomputes from the whole series).

import {
  INPLACE_DEFAULTS,
  type InplaceParams,
  type InplaceState,
  initInplaceState,
  recommendInplace,
} from "./inplace.ts";
import { initKrrState, type KrrParams, type KrrState, recommendKrr } from "./krr.ts";
import { initOracleState, type OracleState, recommendOracle, recommendStatic } from "./oracle.ts";
import type { Recommendation, RecommendInput, StrategyName } from "./types.ts";
import { initVpaState, recommendVpa, type VpaState } from "./vpa.ts";
import type { VpaParams } from "./vpa-model.ts";

export type StrategyState = InplaceState | VpaState | KrrState | OracleState | { kind: "static" };
export type StrategyParams = Partial<InplaceParams> | Partial<VpaParams> | Partial<KrrParams>;

export function initialState(strategy: StrategyName, params?: StrategyParams): StrategyState {
  switch (strategy) {
    case "inplace":
      return initInplaceState(params as Partial<InplaceParams>);
    case "vpa":
      return initVpaState(params as Partial<VpaParams>);
    case "krr-simple":
      return initKrrState();
    case "oracle":
      return initOracleState();
    case "static":
      return { kind: "static" };
  }
}

export function recommend(
  strategy: StrategyName,
  input: RecommendInput<Record<string, number>>,
  state?: StrategyState,
): { recommendation: Recommendation; state: StrategyState } {
  const s = state ?? initialState(strategy, input.params);
  if (s.kind !== strategy) throw new Error(`state belongs to strategy "${s.kind}", not "${strategy}"`);
  switch (s.kind) {
    case "inplace":
      return { recommendation: recommendInplace(input as RecommendInput<InplaceParams>, s), state: s };
    case "vpa":
      return { recommendation: recommendVpa(input as RecommendInput<VpaParams>, s), state: s };
    case "krr-simple":
      return { recommendation: recommendKrr(input as RecommendInput<KrrParams>, s), state: s };
    case "oracle":
      return { recommendation: recommendOracle(input, s), state: s };
    case "static":
      return { recommendation: recommendStatic(input), state: s };
  }
}

export { oomRiskForecast } from "./oom-forecast.ts";
export { dataQuality, QualityTracker } from "./series.ts";
export type * from "./types.ts";
export { INPLACE_DEFAULTS };
