using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>A parameter to create: its name, shape and initial values.</summary>
internal sealed record ParameterSpec(string Name, int[] Shape, float[] Values)
{
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>The parameter sets, gradients and seeds of the conformance suite.</summary>
internal static class ConformanceSets
{
    /// <summary>
    /// The seeds of the randomized tests: <paramref name="defaultCount"/> of them (0, 1, ...), or as many as the
    /// environment variable <c>MOMENTUM_CONFORMANCE_SEEDS</c> says, to run more locally.
    /// </summary>
    public static int[] Seeds(int defaultCount)
    {
        string? text = Environment.GetEnvironmentVariable("MOMENTUM_CONFORMANCE_SEEDS");
        int count = int.TryParse(text, out int n) && n > 0 ? n : defaultCount;
        return [.. Enumerable.Range(0, count)];
    }

    // Sizes on both sides of every slab and chunk boundary: the first slab (4 Ki elements), the chunk length and the
    // largest packed tensor (16 Ki), twice that, and 256 Ki (the largest slab; sixteen chunks make the largest work item).
    private static readonly int[] s_boundarySizes = [4095, 4096, 4097, 16383, 16384, 16385, 32767, 32768, 32769];
    private static readonly int[] s_largeSizes = [262143, 262144, 262145];

    /// <summary>
    /// A mixed parameter set: a scalar, [1], an odd vector, matrices, a 3-D tensor, sizes straddling the slab and chunk
    /// boundaries and, for odd seeds, one large tensor, in a shuffled order. Seed 0 is fixed instead: a small odd
    /// vector, then 16,385 and 16,383 elements (a small tensor too large for the first slabs), then the sizes around
    /// 4 Ki; seed 1 has the large tensor, seed 2 the sizes around 32 Ki after a small odd vector and 16,385 elements,
    /// other seeds three boundary sizes at random.
    /// Names end in <c>.weight</c> (matrices and tensors) or <c>.bias</c> (vectors), as the examples' masks and
    /// parameter groups expect; <c>embed.*</c> is an embedding.
    /// </summary>
    public static ParameterSpec[] Mixed(int seed)
    {
        var rng = new Random(1000 + seed);
        var shapes = new List<(string Name, int[] Shape)>();
        if (seed == 0)
        {
            shapes.AddRange([("odd.bias", [13]), ("v16385.bias", [16385]), ("v16383.bias", [16383]), ("scale", []), ("gain.bias", [1]),
                ("layer.weight", [33, 20]), ("layer.bias", [33]), ("conv.weight", [3, 4, 5]), ("embed.weight", [50, 16])]);
            foreach (int size in s_boundarySizes.Where(s => s is 4095 or 4096 or 4097 or 16384)) shapes.Add(Boundary(size));
        }
        else
        {
            int rows = rng.Next(17, 41);
            shapes.AddRange([("scale", []), ("gain.bias", [1]), ("odd.bias", [2 * rng.Next(1, 50) + 1]), ("layer.weight", [rows, rng.Next(19, 46)]),
                ("layer.bias", [rows]), ("conv.weight", [rng.Next(2, 5), rng.Next(3, 6), rng.Next(4, 8)]), ("embed.weight", [rng.Next(40, 70), 16])]);
            var boundaries = seed switch
            {
                1 => [],                                   // the large tensor
                2 => s_boundarySizes.Where(s => s > 32000), // around 32 Ki
                _ => s_boundarySizes.OrderBy(_ => rng.Next()).Take(3),
            };
            foreach (int size in boundaries) shapes.Add(Boundary(size));
            if (seed % 2 == 1) shapes.Add(Large(s_largeSizes[rng.Next(s_largeSizes.Length)]));
            shapes = [.. shapes.OrderBy(_ => rng.Next())];
            if (seed == 2)
            {
                // First the odd vector, then 16,385 elements: too many to pack as a parameter, but its bf16 moments
                // (8,193 floats) are packed, right after the odd vector's.
                shapes.RemoveAll(s => s.Name == "odd.bias");
                shapes.InsertRange(0, [("odd.bias", [13]), ("v16385.bias", [16385])]);
            }
        }
        return [.. shapes.Select(s => new ParameterSpec(s.Name, s.Shape, Values(rng, s.Shape)))];
    }

    /// <summary>A small set for the operation sequences: every kind of shape, few elements.</summary>
    public static ParameterSpec[] Small(int seed)
    {
        var rng = new Random(2000 + seed);
        (string, int[])[] shapes = [("layer.weight", [6, 5]), ("layer.bias", [6]), ("embed.weight", [9, 4]), ("conv.weight", [3, 2, 4]),
            ("scale", []), ("gain.bias", [1]), ("rows.weight", [24, 3])];
        return [.. shapes.Select(s => new ParameterSpec(s.Item1, s.Item2, Values(rng, s.Item2)))];
    }

    /// <summary>The engine's parameter set, as a user builds one.</summary>
    public static ParameterSet Build(IEnumerable<ParameterSpec> parameters)
    {
        var set = new ParameterSet();
        foreach (var p in parameters) set.Add(p.Name, p.Shape, p.Values);
        return set;
    }

    public static string Describe(IEnumerable<ParameterSpec> parameters) => string.Join(", ", parameters);

    private static (string, int[]) Boundary(int size) => size switch
    {
        4096 => ($"m{size}.weight", [64, 64]),
        16384 => ($"m{size}.weight", [128, 128]),
        32768 => ($"m{size}.weight", [128, 256]),
        _ => ($"v{size}.bias", [size]),
    };

    // Few rows, so that Newton–Schulz (Muon) and factored moments stay cheap on the large tensor.
    private static (string, int[]) Large(int size) => size switch
    {
        262144 => ("big.weight", [2, 131072]),
        262143 => ("big.weight", [3, 87381]),
        _ => ("big.weight", [5, 52429]),
    };

    private static float[] Values(Random rng, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }
}

/// <summary>
/// Deterministic gradients for a parameter set: each parameter gets its first gradient at step 0, 1 or 2 (late
/// joiners), then at every step either a random gradient at its own scale (1e-3 to 10, so that clipping both bites and
/// does not), an explicit zero gradient, or no gradient.
/// </summary>
internal sealed class GradientPlan(IReadOnlyList<ParameterSpec> parameters, int seed)
{
    private readonly int[] _first = [.. parameters.Select((_, i) => Pick(seed, i, 1, [0, 0, 0, 1, 2]))];
    private readonly float[] _scale = [.. parameters.Select((_, i) => (float)Pick(seed, i, 2, [1e-3, 0.1, 1.0, 1.0, 10.0]))];

    /// <summary>The gradients of step <paramref name="step"/>: per parameter, the values, or null for no gradient.</summary>
    public float[]?[] At(int step)
    {
        var result = new float[]?[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            if (step < _first[i]) continue;
            int kind = Pick(seed, i, 100 + step, [0, 0, 0, 0, 0, 0, 1, 2]); // 0 random, 1 zero, 2 none
            if (kind == 2 && step > _first[i]) continue;
            result[i] = kind == 1 && step > _first[i] ? new float[parameters[i].Values.Length] : Random(seed, i, step, parameters[i].Values.Length, _scale[i]);
        }
        return result;
    }

    /// <summary>Random gradients for every parameter (sized as the parameters are now).</summary>
    public static float[]?[] Full(IReadOnlyList<int> lengths, int seed, int step) =>
        [.. lengths.Select((n, i) => Random(seed, i, step, n, 1f))];

    public static float[] Random(int seed, int parameter, int step, int length, float scale)
    {
        var values = new float[length];
        for (int j = 0; j < length; j++) values[j] = Engine.EngineTestData.Hash(seed * 7919 + parameter, j, step + 1) * 2 * scale;
        return values;
    }

    private static T Pick<T>(int seed, int parameter, int salt, T[] choices)
    {
        float h = Engine.EngineTestData.Hash(seed * 104729 + parameter, salt, 17) + 0.5f; // in [0, 1)
        return choices[Math.Min((int)(h * choices.Length), choices.Length - 1)];
    }
}

/// <summary>
/// The registered names and the specs the suite runs for them: each name by its registry example
/// (<see cref="SpecRegistry.Example"/>), and variants of it.
/// </summary>
internal static class ConformanceSpecs
{
    /// <summary>Every registered transformation name.</summary>
    public static string[] Names => [.. SpecRegistry.Default.Transformations.Select(t => t.Name)];

    /// <summary>
    /// The spec run for <paramref name="name"/> with <paramref name="seed"/>: the example itself (seeds 0, 3, ...); the
    /// example with a parameter group for the biases (seeds 1, 4, ...); the example after <c>clip_by_global_norm</c>
    /// (seeds 2, 5, ...). A variant that does not build or plan (a whole-step wrapper must be outermost) falls back to
    /// the example.
    /// </summary>
    public static string Variant(string name, int seed)
    {
        string example = SpecRegistry.Default.Example(name);
        string? variant = (seed % 3) switch
        {
            1 => WithArgument(example, "groups=[group(params='*.bias', name='biases')]"),
            2 => $"chain(clip_by_global_norm(max_norm=0.3), {example})",
            _ => null,
        };
        return variant is not null && Plans(SpecRegistry.Default, variant) ? variant : example;
    }

    /// <summary>Whether <paramref name="spec"/> parses (a variant may repeat an argument of its example), builds, and an
    /// optimizer can plan it on a small mixed set.</summary>
    public static bool Plans(SpecRegistry registry, string spec)
    {
        try
        {
            return Plans(registry, SpecParser.Parse(spec));
        }
        catch (SpecException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="spec"/> builds and an optimizer can plan it on a small mixed set.</summary>
    public static bool Plans(SpecRegistry registry, SpecCall spec)
    {
        try
        {
            _ = new Optimizer(registry.Create(spec), ConformanceSets.Build(ConformanceSets.Small(0)));
            return true;
        }
        catch (Exception e) when (e is SpecException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Adds a keyword argument to the outermost call of a spec.</summary>
    public static string WithArgument(string spec, string argument)
    {
        int close = spec.LastIndexOf(')');
        bool empty = spec[close - 1] == '(';
        return spec[..close] + (empty ? "" : ", ") + argument + ")";
    }

    /// <summary>A registry with every built-in name plus <c>poisoned(value=x)</c> / <c>poisoned(schedule=...)</c>: the
    /// value or schedule, or NaN while <paramref name="poison"/> is on.</summary>
    public static SpecRegistry PoisonableRegistry(PoisonSwitch poison)
    {
        var registry = SpecRegistry.CreateDefault();
        registry.RegisterSchedule("poisoned", "poisoned(value=x | schedule=...): NaN while the test's switch is on", "poisoned(value=0.01)", a =>
        {
            var inner = a.Raw("schedule") is SpecCall call ? a.Registry.CreateSchedule(call) : Schedule.Constant(a.Number("value", 0));
            return Schedule.FromFunction(t =>
            {
                if (!poison.On) return inner.Evaluate(t);
                poison.Hits++;
                return double.NaN;
            });
        });
        return registry;
    }

    // The arguments that take a learning rate or a weight decay (a number or a schedule) in some spec.
    private static readonly string[] s_scheduleKeys = ["lr", "learning_rate", "weight_decay", "adam_learning_rate", "adam_weight_decay"];

    /// <summary>
    /// The variants of <paramref name="spec"/> in which one learning rate or weight decay (wherever the spec, its inner
    /// optimizers or its groups give one, or a weight decay added to the outermost call) is <c>poisoned(...)</c>, each with
    /// the argument it poisons; only those that build and plan with <paramref name="registry"/>.
    /// </summary>
    public static List<(string What, SpecCall Spec)> PoisonedVariants(SpecRegistry registry, string spec)
    {
        var root = SpecParser.Parse(spec);
        var variants = new List<(string, SpecCall)>();
        int count = CountScheduleArguments(root);
        for (int target = 0; target < count; target++)
        {
            int index = 0;
            string what = "";
            var poisoned = (SpecCall)Poison(root, target, ref index, ref what);
            variants.Add((what, poisoned));
        }
        if (!root.Arguments.Any(a => a.Key == "weight_decay"))
            variants.Add(("weight_decay (added)", root with { Arguments = [.. root.Arguments, new SpecArgument("weight_decay", Poisoned(new SpecNumber(0.01, "0.01", 0)), 0)] }));
        return [.. variants.Where(v => Plans(registry, v.Item2))];
    }

    private static int CountScheduleArguments(SpecValue value) => value switch
    {
        SpecCall c => c.Arguments.Sum(a => (IsScheduleArgument(a) ? 1 : 0) + CountScheduleArguments(a.Value)),
        SpecList l => l.Items.Sum(CountScheduleArguments),
        _ => 0,
    };

    private static bool IsScheduleArgument(SpecArgument a) =>
        a.Key is { } key && s_scheduleKeys.Contains(key) && a.Value is SpecNumber or SpecCall;

    private static SpecValue Poison(SpecValue value, int target, ref int index, ref string what)
    {
        switch (value)
        {
            case SpecCall c:
            {
                var arguments = new List<SpecArgument>();
                foreach (var a in c.Arguments)
                {
                    if (IsScheduleArgument(a) && index++ == target)
                    {
                        what = $"{a.Key} of {c.Name}";
                        arguments.Add(a with { Value = Poisoned(a.Value) });
                        continue;
                    }
                    arguments.Add(a with { Value = Poison(a.Value, target, ref index, ref what) });
                }
                return c with { Arguments = arguments };
            }
            case SpecList l:
            {
                var items = new List<SpecValue>();
                foreach (var item in l.Items) items.Add(Poison(item, target, ref index, ref what));
                return l with { Items = items };
            }
            default:
                return value;
        }
    }

    private static SpecCall Poisoned(SpecValue value) =>
        new("poisoned", [value is SpecCall ? new SpecArgument("schedule", value, 0) : new SpecArgument("value", value, 0)], 0);
}

/// <summary>Turns the <c>poisoned(...)</c> schedules of <see cref="ConformanceSpecs.PoisonableRegistry"/> to NaN.</summary>
internal sealed class PoisonSwitch
{
    public bool On { get; set; }

    /// <summary>How many times a poisoned schedule gave NaN (whether the step consulted it at all).</summary>
    public int Hits { get; set; }
}

/// <summary>What a step did: returned a value or threw.</summary>
internal readonly record struct Outcome(bool? Result, Exception? Error)
{
    public static Outcome Of(Func<bool> step)
    {
        try
        {
            return new Outcome(step(), null);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return new Outcome(null, e);
        }
    }

    public static Outcome Of(Action operation) => Of(() =>
    {
        operation();
        return true;
    });

    /// <summary>The same return value, or an exception of the same type.</summary>
    public bool SameAs(Outcome other) => Error is null ? other.Error is null && Result == other.Result : Error.GetType() == other.Error?.GetType();

    public override string ToString() => Error is null ? $"returned {Result}" : $"threw {Error.GetType().Name}: {Error.Message}";
}

/// <summary>An engine optimizer with its parameter set and gradient set, fed the suite's gradients.</summary>
internal sealed class EngineRun
{
    public EngineRun(GradientTransformation transformation, IEnumerable<ParameterSpec> parameters, OptimizerOptions options)
    {
        Parameters = ConformanceSets.Build(parameters);
        Optimizer = new Optimizer(transformation, Parameters, options);
        Gradients = new GradientSet(Parameters);
    }

    public ParameterSet Parameters { get; }

    public Optimizer Optimizer { get; set; }

    public GradientSet Gradients { get; }

    /// <summary>Writes <paramref name="gradients"/> (null: no gradient) into the gradient set.</summary>
    public void Feed(IReadOnlyList<float[]?> gradients)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (gradients[i] is { } g) Gradients.Set(Parameters[i], g);
            else Gradients.Clear(Parameters[i]);
        }
    }

    public Outcome Step(IReadOnlyList<float[]?> gradients, double loss) => Outcome.Of(() =>
    {
        Feed(gradients);
        return Optimizer.Step(Gradients, loss);
    });
}
