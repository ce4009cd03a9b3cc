using CsCheck;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// One operation of a random sequence. Each holds only small numbers (a seed, a parameter number), resolved against the
/// current rows when it runs, so every generated sequence is valid and CsCheck shrinks it to fewer, smaller operations.
/// </summary>
internal abstract record Operation;

/// <summary>A full step; per parameter (by the seed) a random gradient, a zero gradient or none.</summary>
internal sealed record StepOperation(int Seed) : Operation
{
    public override string ToString() => $"Step(gradients #{Seed})";
}

/// <summary>A selective step: some parameters get a row selection (possibly empty), the others a full step.</summary>
internal sealed record SelectiveStepOperation(int Seed) : Operation
{
    public override string ToString() => $"SelectiveStep(rows #{Seed})";
}

/// <summary>A step with NaN in one gradient, refused under the sequence's policy (Throw or Skip).</summary>
internal sealed record NonFiniteStepOperation(int Seed) : Operation
{
    public override string ToString() => $"NonFiniteStep(gradients #{Seed})";
}

/// <summary>A step whose learning rate (or decay) schedule gives NaN; a normal step for a spec without one.</summary>
internal sealed record NaNScheduleStepOperation(int Seed) : Operation
{
    public override string ToString() => $"NaNScheduleStep(gradients #{Seed})";
}

/// <summary>Saves a checkpoint and continues with a fresh optimizer that loaded it.</summary>
internal sealed record CheckpointOperation : Operation
{
    public override string ToString() => "Checkpoint()";
}

/// <summary>The row operations of <see cref="RowOperation"/>.</summary>
internal enum RowKind { Append, AppendCopies, Split, Keep, ResetRows, Overwrite, ResetAllKeepStep, ResetAllFresh }

/// <summary>A row plan on one parameter (with the parameters that share its rows, if the seed says so), or a reset of all state.</summary>
internal sealed record RowOperation(RowKind Kind, int Parameter, int Seed) : Operation
{
    public override string ToString() => Kind is RowKind.ResetAllKeepStep or RowKind.ResetAllFresh ? $"{Kind}()" : $"Rows({Kind}, parameter #{Parameter}, #{Seed})";
}

/// <summary>A generated case: the non-finite policy, the engine's thread count, and the operations.</summary>
internal sealed record OperationSequence(NonFiniteGradients Policy, int Threads, Operation[] Operations);

/// <summary>
/// Runs random operation sequences on the engine and on <see cref="ReferenceStepper"/> together: after every operation
/// both must have done the same (returned the same, or thrown the same type) and hold the same bits. A failing sequence
/// is shrunk by CsCheck and printed one operation per line, with what each operation resolved to.
/// </summary>
internal static class OperationSequences
{
    private static readonly Gen<Operation> s_operation = Gen.Frequency<Operation>(
        (8, Gen.Int[0, 999].Select(s => (Operation)new StepOperation(s))),
        (3, Gen.Int[0, 999].Select(s => (Operation)new SelectiveStepOperation(s))),
        (4, Gen.Select(Gen.Int[0, 7], Gen.Int[0, 9], Gen.Int[0, 999], (k, p, s) => (Operation)new RowOperation((RowKind)k, p, s))),
        (1, Gen.Const<Operation>(new CheckpointOperation())),
        (1, Gen.Int[0, 999].Select(s => (Operation)new NonFiniteStepOperation(s))),
        (1, Gen.Int[0, 999].Select(s => (Operation)new NaNScheduleStepOperation(s))));

    /// <summary>Sequences of 1 to 12 operations under Throw or Skip, with 1, 2, 3 or 8 threads.</summary>
    public static readonly Gen<OperationSequence> Sequences = Gen.Select(
        Gen.OneOf(NonFiniteGradients.Throw, NonFiniteGradients.Skip), Gen.OneOf(1, 2, 3, 8), s_operation.Array[1, 12],
        (policy, threads, operations) => new OperationSequence(policy, threads, operations));

    /// <summary>
    /// Checks the sequences of fixed CsCheck seeds made from <paramref name="seeds"/> (deterministic); on a failure,
    /// searches for a smaller failing sequence for <paramref name="shrinkSeconds"/> seconds and reports that one.
    /// </summary>
    public static void Check(string spec, Func<ParameterSpec[]> parameters, int[] seeds, int shrinkSeconds = 1)
    {
        var (registry, poison, call) = Prepare(spec);
        void Assert(OperationSequence sequence) => Run(registry, poison, call, parameters(), sequence);
        string Print(OperationSequence s) => $"{spec} under {s.Policy}, {s.Threads} threads:\n  {string.Join("\n  ", s.Operations.Select((o, i) => $"{i}: {o}"))}";
        foreach (int seed in seeds)
        {
            string start = new PCG(1, (ulong)seed).ToString();
            try
            {
                Sequences.Sample(Assert, seed: start, iter: 1, threads: 1, print: Print);
            }
            catch (CsCheckException)
            {
                Sequences.Sample(Assert, seed: start, time: shrinkSeconds, threads: 1, print: Print); // throws the smallest failure found
                throw;
            }
        }
    }

    /// <summary>The spec with its learning rate (else its first decay) as a poisonable schedule, if it has one.</summary>
    private static (SpecRegistry, PoisonSwitch, SpecCall) Prepare(string spec)
    {
        var poison = new PoisonSwitch();
        var registry = ConformanceSpecs.PoisonableRegistry(poison);
        var variants = ConformanceSpecs.PoisonedVariants(registry, spec);
        var chosen = variants.FirstOrDefault(v => v.What.StartsWith("lr", StringComparison.Ordinal) || v.What.StartsWith("learning_rate", StringComparison.Ordinal));
        if (chosen.Spec is null && variants.Count > 0) chosen = variants[0];
        return (registry, poison, chosen.Spec ?? SpecParser.Parse(spec));
    }

    private static void Run(SpecRegistry registry, PoisonSwitch poison, SpecCall spec, ParameterSpec[] parameters, OperationSequence sequence)
    {
        var options = new OptimizerOptions { Threads = sequence.Threads, NonFiniteGradients = sequence.Policy };
        var engine = new EngineRun(registry.Create(spec), parameters, options);
        var reference = new ReferenceStepper(registry.Create(spec), parameters, sequence.Policy);
        var log = new List<string>();
        for (int i = 0; i < sequence.Operations.Length; i++)
        {
            var operation = sequence.Operations[i];
            var (expected, actual, resolved) = operation switch
            {
                StepOperation s => Step(engine, reference, Gradients(engine.Parameters, s.Seed, nonFinite: false), null),
                NonFiniteStepOperation s => Step(engine, reference, Gradients(engine.Parameters, s.Seed, nonFinite: true), null),
                NaNScheduleStepOperation s => Poisoned(poison, () => Step(engine, reference, Gradients(engine.Parameters, s.Seed, nonFinite: false), null)),
                SelectiveStepOperation s => Step(engine, reference, Gradients(engine.Parameters, s.Seed, nonFinite: false), Selection(engine.Parameters, s.Seed)),
                RowOperation r => Rows(engine, reference, r),
                CheckpointOperation => Reload(engine, registry, spec, options),
                _ => throw new InvalidOperationException($"Unknown operation {operation}"),
            };
            log.Add($"{i}: {operation} -> {resolved}; {actual}");
            string context = $"after operation {i} of\n  {string.Join("\n  ", log)}\n";
            if (!expected.SameAs(actual)) throw new InvalidOperationException($"{context}the reference {expected}, the engine {actual}");
            StateSnapshot.AssertSame(reference.Snapshot(), StateSnapshot.Of(engine.Optimizer), context + "the engine against the reference");
        }
    }

    private static (Outcome, Outcome, string) Poisoned(PoisonSwitch poison, Func<(Outcome, Outcome, string)> step)
    {
        poison.On = true;
        try
        {
            return step();
        }
        finally
        {
            poison.On = false;
        }
    }

    private static (Outcome, Outcome, string) Step(EngineRun engine, ReferenceStepper reference, float[]?[] gradients, Dictionary<int, int[]>? selection)
    {
        const double Loss = 1.0;
        string resolved = "gradients " + string.Join(", ", engine.Parameters.Select(p => $"{p.Name}: {Describe(gradients[p.Index])}"));
        if (selection is null)
            return (Outcome.Of(() => reference.Step(gradients, Loss)), engine.Step(gradients, Loss), resolved);
        resolved += "; rows " + string.Join(", ", selection.Select(s => $"{engine.Parameters[s.Key].Name}: [{string.Join(" ", s.Value)}]"));
        var rows = new RowSelection(engine.Parameters);
        foreach (var (index, selected) in selection) rows.Set(engine.Parameters[index], selected);
        var actual = Outcome.Of(() =>
        {
            engine.Feed(gradients);
            return engine.Optimizer.Step(engine.Gradients, rows, Loss);
        });
        return (Outcome.Of(() => reference.Step(gradients, selection, Loss)), actual, resolved);
    }

    private static string Describe(float[]? gradient) =>
        gradient is null ? "none" : gradient.Any(float.IsNaN) ? "NaN" : gradient.All(g => g == 0) ? "zero" : "random";

    /// <summary>Per parameter, by the seed: no gradient, a zero gradient or a random one (with NaN at one element of one, if asked).</summary>
    private static float[]?[] Gradients(ParameterSet set, int seed, bool nonFinite)
    {
        var gradients = new float[]?[set.Count];
        foreach (var p in set)
        {
            float h = Unit(seed, p.Index, 1);
            gradients[p.Index] = h < 0.15f ? null : h < 0.3f ? new float[p.Length] : GradientPlan.Random(seed, p.Index, 0, p.Length, 1f);
        }
        if (nonFinite)
        {
            var present = set.Where(p => p.Length > 0).ToList();
            var bad = present[(int)(Unit(seed, 0, 2) * present.Count)];
            var g = gradients[bad.Index] ??= new float[bad.Length];
            g[(int)(Unit(seed, 0, 3) * g.Length)] = float.NaN;
        }
        return gradients;
    }

    /// <summary>For some parameters with rows, a selection of about half of them (possibly none).</summary>
    private static Dictionary<int, int[]> Selection(ParameterSet set, int seed)
    {
        var selection = new Dictionary<int, int[]>();
        foreach (var p in set)
            if (p.Rank > 0 && Unit(seed, p.Index, 4) < 0.6f)
                selection[p.Index] = [.. Enumerable.Range(0, p.Rows).Where(r => Unit(seed, p.Index, 100 + r) < 0.5f)];
        return selection;
    }

    private static (Outcome, Outcome, string) Rows(EngineRun engine, ReferenceStepper reference, RowOperation operation)
    {
        var set = engine.Parameters;
        if (operation.Kind is RowKind.ResetAllKeepStep or RowKind.ResetAllFresh)
        {
            var mode = operation.Kind == RowKind.ResetAllKeepStep ? ResetMode.KeepStep : ResetMode.FreshOptimizer;
            return (Outcome.Of(() => reference.ResetAll(mode)), Outcome.Of(() => engine.Optimizer.ResetAll(mode)), $"ResetAll({mode})");
        }
        var withRows = set.Where(p => p.Rank > 0).ToList();
        var p = withRows[operation.Parameter % withRows.Count];
        int seed = operation.Seed, rows = p.Rows;
        int[] Pick(int salt, float fraction) => [.. Enumerable.Range(0, rows).Where(r => Unit(seed, salt, r) < fraction)];
        var plan = new RowPlan(rows, p.Name);
        switch (operation.Kind)
        {
            case RowKind.Append:
                plan.Append(1 + seed % 3);
                break;
            case RowKind.AppendCopies:
                plan.Append([.. Enumerable.Range(0, 1 + seed % 3).Select(k => (seed + 7 * k) % rows)], seed % 2 == 0 ? RowInit.Copy : RowInit.Fresh);
                break;
            case RowKind.Split:
                plan.Split(Pick(1, 0.3f), 2 + seed % 2, (SplitState)(seed % 3));
                break;
            case RowKind.Keep:
                var keep = Pick(2, 0.75f).OrderBy(r => Unit(seed, 9, r)).ToArray(); // prune and reorder
                plan.Keep(keep.Length > 0 ? keep : [seed % rows]);
                break;
            case RowKind.ResetRows:
                plan.ResetRows(Pick(3, 0.3f));
                break;
            case RowKind.Overwrite:
                var destinations = Pick(4, 0.3f);
                plan.Overwrite(destinations, [.. destinations.Select(d => (d + 1 + seed) % rows)], seed % 2 == 0 ? RowInit.Copy : RowInit.Fresh);
                break;
        }
        // The parameters that share its row count join it, when the seed says so (a group, as 3DGS refines them).
        int[] group = [p.Index, .. withRows.Where(q => q != p && q.Rows == rows && Unit(seed, q.Index, 5) < 0.5f).Select(q => q.Index)];
        string resolved = $"{operation.Kind} on {string.Join(" + ", group.Select(i => set[i].Name))}: {rows} rows -> {plan.Rows}";
        var actual = Outcome.Of(() => engine.Optimizer.ApplyRowPlan(plan, [.. group.Select(i => set[i])]));
        return (Outcome.Of(() => reference.ApplyRowPlan(plan, group)), actual, resolved);
    }

    /// <summary>Saves the engine, loads the file into a fresh optimizer of the same spec, and continues with that one.</summary>
    private static (Outcome, Outcome, string) Reload(EngineRun engine, SpecRegistry registry, SpecCall spec, OptimizerOptions options)
    {
        string path = Path.Combine(Path.GetTempPath(), $"momentum-conformance-{Guid.NewGuid():N}.safetensors");
        try
        {
            var actual = Outcome.Of(() =>
            {
                Checkpoint.Save(path, engine.Optimizer);
                var fresh = new Optimizer(registry.Create(spec), engine.Parameters, options);
                Checkpoint.Load(path, fresh);
                engine.Optimizer = fresh;
            });
            return (new Outcome(true, null), actual, "save, load into a fresh optimizer");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float Unit(int seed, int a, int b) => Engine.EngineTestData.Hash(seed, a, b) + 0.5f;
}
