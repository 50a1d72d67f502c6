// Exact match against the example's `expected`, with feedback that says what
// was expected, so reflection has something to learn from. (Without any
// scorer a team can only be optimized when its primary agent has an
// output_schema; the score is then the same exact match, without the words.)
export default function score(input, output, expected) {
  if (expected === undefined) return { score: 0, feedback: 'The example has no expected output.' };
  if (output === expected) return { score: 1, feedback: 'The output is exactly right.' };
  return { score: 0, feedback: `The output must be exactly ${JSON.stringify(expected)}, but it was ${JSON.stringify(output)}.` };
}
