/**
 * The public API surface: every export of the three entry modules, with its
 * kind, compared with the hand-kept list below, so any change to the public
 * API shows up as a diff of this file. Every export must carry TSDoc.
 */
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const API = path.resolve(import.meta.dirname, '..', '..', 'src', 'api');

const SURFACE: Record<string, string[]> = {
  'gepa-aime': [
    'ActorReport: interface',
    'ActorReportedEvent: interface',
    'ActorStep: interface',
    'ActorStepEvent: interface',
    'AgentFinishedEvent: interface',
    'AgentStartedEvent: interface',
    'AgentToolCallEvent: interface',
    'AgentUsageEvent: interface',
    'ApprovalDecidedEvent: interface',
    'ApprovalDecision: type',
    'ApprovalHandler: type',
    'ApprovalPolicy: type',
    'ApprovalRequest: interface',
    'ApprovalRequestedEvent: interface',
    'ChatMessage: interface',
    'ChatModel: interface',
    'ChatRequest: interface',
    'ChatResponse: interface',
    'ConfigError: class',
    'ConfigOptions: interface',
    'DEFAULT_LIMITS: const',
    'GoalEvent: type',
    'GoalOptions: interface',
    'GoalRun: interface',
    'Limits: type',
    'LoadedConfig: interface',
    'ModelError: class',
    'ModelSettings: type',
    'ModelUsageEvent: interface',
    'OfflineModel: class',
    'PlannerAction: type',
    'PlannerDecidedEvent: interface',
    'PlannerFailedEvent: interface',
    'ResponseFormat: interface',
    'Role: type',
    'RoleModels: interface',
    'RunEndEvent: interface',
    'RunInputError: class',
    'RunReport: interface',
    'RunStartedEvent: interface',
    'RunStatus: type',
    'SamplingSettings: interface',
    'TaskItem: interface',
    'TaskList: type',
    'TaskStatus: type',
    'TasksChangedEvent: interface',
    'Team: type',
    'TeamEndEvent: interface',
    'TeamEvent: type',
    'TeamOptions: interface',
    'TeamReport: interface',
    'TeamRun: interface',
    'TokenUsage: interface',
    'ToolCall: interface',
    'ToolContext: interface',
    'ToolDefinition: interface',
    'ToolDefinitionInput: interface',
    'ToolResult: interface',
    'ToolSpec: interface',
    'defaultConfigDir: function',
    'defineTool: function',
    'loadConfig: function',
    'loadTeam: function',
    'parseTeam: function',
    'runGoal: function',
    'runTeam: function',
  ],
  'gepa-aime/gepa': [
    'AcceptedEvent: interface',
    'Candidate: type',
    'DEFAULT_COMPONENT: const',
    'DatasetError: class',
    'DefaultAdapterOptions: interface',
    'DefaultExample: interface',
    'DefaultTrajectory: interface',
    'EvaluateOptions: interface',
    'EvaluationBatch: interface',
    'GepaAdapter: interface',
    'GepaCandidateSummary: interface',
    'GepaInputError: class',
    'GepaResult: interface',
    'GepaResultJson: interface',
    'GepaRunError: class',
    'GepaSettingsInput: type',
    'IterationEvent: interface',
    'IterationOutcome: type',
    'IterationRecord: interface',
    'MetricArgs: type',
    'MetricCallsEvent: interface',
    'OptimizeEndEvent: interface',
    'OptimizeEvent: type',
    'OptimizeOptions: type',
    'OptimizeRun: interface',
    'OptimizeStartedEvent: interface',
    'ProposalEvent: interface',
    'ReflectiveDataset: type',
    'ReflectiveRecord: type',
    'ScoreMetadata: interface',
    'ScoreResult: interface',
    'ScoreValue: type',
    'Scorer: type',
    'StopReason: type',
    'TeamAdapter: interface',
    'TeamAdapterOptions: interface',
    'TeamExample: interface',
    'TeamScorerArgs: type',
    'containsAnswer: function',
    'createDefaultAdapter: function',
    'createTeamAdapter: function',
    'loadDataset: function',
    'optimize: function',
    'parseDataset: function',
  ],
  'gepa-aime/testing': [
    'HasEvents: interface',
    'OfflineModel: class',
    'ScriptedModel: class',
    'ScriptedReply: type',
    'TempWorkspace: interface',
    'actorReport: function',
    'collectEvents: function',
    'estimateUsage: function',
    'plannerReply: function',
    'reply: const',
    'task: function',
    'tempWorkspace: function',
  ],
};

const ENTRIES: Record<string, string> = { 'gepa-aime': 'index.ts', 'gepa-aime/gepa': 'gepa.ts', 'gepa-aime/testing': 'testing.ts' };

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  return `flags ${f}`;
}

const files = Object.values(ENTRIES).map((f) => path.join(API, f));
const program = ts.createProgram(files, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

function exportsOf(entry: string): { name: string; kind: string; doc: string }[] {
  const source = program.getSourceFile(path.join(API, ENTRIES[entry]!))!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  return checker.getExportsOfModule(moduleSymbol).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return { name: s.name, kind: kindOf(target), doc: ts.displayPartsToString(target.getDocumentationComment(checker)).trim() };
  });
}

describe('public API surface', () => {
  for (const entry of Object.keys(ENTRIES)) {
    it(`${entry} exports exactly the hand-kept list`, () => {
      expect(
        exportsOf(entry)
          .map((e) => `${e.name}: ${e.kind}`)
          .sort(),
      ).toEqual([...SURFACE[entry]!].sort());
    });
    it(`${entry}: every export has TSDoc`, () => {
      expect(
        exportsOf(entry)
          .filter((e) => !e.doc)
          .map((e) => e.name),
      ).toEqual([]);
    });
  }
});
