/**
 * The champion/challenger trial of online learning, as data: what the
 * optimizer's events carry and the history records (the rule that decides is
 * contracts/gepa/trialRule.ts).
 */
export interface ArmEvidence {
  successes: number;
  failures: number;
}

export interface Trial {
  championId: string;
  challengerId: string;
  champion: ArmEvidence;
  challenger: ArmEvidence;
}

/** A decided trial, kept for the report and the `learning` command. */
export interface DecisionSummary {
  verdict: 'switch' | 'reject';
  championId: string;
  challengerId: string;
  champion: ArmEvidence;
  challenger: ArmEvidence;
  pBetter: number;
  reason: string;
}
