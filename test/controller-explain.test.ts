// What a report row says about a recommendation: how each resource's value was derived, once, in plain lines.

import { expect, it } from "vitest";
import { explainRecommendation } from "../controller/decisions.ts";

// The inplace strategy's reasons for a container it holds, as recommend/ writes them.
const HOLD = [
  "memory limit 945Mi = max(p50 of decayed window peaks 799Mi, peak of the last 72 h 859Mi) + 10 %",
  "memory request 869Mi = p95 of decayed window peaks",
  "cpu request 105m = p90 of decayed usage; limit 115m = max(p50 0.102, last 30 min peak 0.109 cores) + 5 %",
  "memory: decrease waits for the 3 min cooldown",
  "hold: no change passes the rules",
];

it("gives one derivation line per resource, then the recommender's notes, without the hold noise", () => {
  expect(explainRecommendation(HOLD, true)).toEqual([
    "memory limit 945Mi = max(p50 of decayed window peaks 799Mi, peak of the last 72 h 859Mi) + 10 %; request 869Mi = p95 of decayed window peaks",
    "cpu request 105m = p90 of decayed usage; limit 115m = max(p50 0.102, last 30 min peak 0.109 cores) + 5 %",
    "memory: decrease waits for the 3 min cooldown",
  ]);
});

it("says the recommender holds only when nothing else explains why nothing changes", () => {
  const bare = [HOLD[2]!, "hold: no change passes the rules"];
  expect(explainRecommendation(bare, false).at(-1)).toBe("the recommender holds: no change passes its rules");
  expect(explainRecommendation(bare, true)).toEqual([HOLD[2]]);
});
