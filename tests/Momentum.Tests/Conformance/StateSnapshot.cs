namespace Momentum.Tests.Conformance;

/// <summary>
/// Everything an optimizer holds, copied and named: every parameter's values and whether it has state
/// (<c>param/name</c>, <c>has_state/name</c>), every state tensor and scalar of every stage and every step wrapper
/// (<c>state/name/path/slot</c>), every optimizer-wide wrapper scalar (<c>wrapper/path/slot</c>), and the counters
/// (<c>optimizer/step_count</c>, <c>optimizer/skipped_steps</c>). Read through the public API only.
/// </summary>
internal sealed class StateSnapshot
{
    private readonly List<(string Key, float[] Values)> _tensors = [];
    private readonly List<(string Key, double Value)> _scalars = [];

    /// <summary>The engine's state.</summary>
    public static StateSnapshot Of(Optimizer optimizer)
    {
        var snapshot = new StateSnapshot();
        foreach (var p in optimizer.Parameters) snapshot.AddParameter(p, optimizer.HasState(p));
        foreach (var (parameter, path, state) in optimizer.States) snapshot.AddState(parameter, path, state);
        foreach (var (path, state) in optimizer.GlobalWrapperStates) snapshot.AddGlobal(path, state);
        snapshot.AddCounters(optimizer.StepCount, optimizer.SkippedSteps);
        return snapshot;
    }

    public void AddParameter(Parameter p, bool hasState)
    {
        _tensors.Add(($"param/{p.Name}", p.Values.ToArray()));
        _scalars.Add(($"has_state/{p.Name}", hasState ? 1 : 0));
    }

    public void AddState(Parameter p, string path, TransformState state)
    {
        foreach (var t in state.Tensors) _tensors.Add(($"state/{p.Name}/{path}/{t.Slot}", t.Buffer.Span.ToArray()));
        foreach (var s in state.Scalars) _scalars.Add(($"state/{p.Name}/{path}/{s.Slot}", s.Get()));
    }

    public void AddGlobal(string path, WrapperState state)
    {
        foreach (var s in state.Scalars) _scalars.Add(($"wrapper/{path}/{s.Slot}", s.Get()));
    }

    public void AddCounters(long stepCount, long skippedSteps)
    {
        _scalars.Add(("optimizer/step_count", stepCount));
        _scalars.Add(("optimizer/skipped_steps", skippedSteps));
    }

    /// <summary>The same snapshot with the skipped-step counter replaced (a skipped step changes only that).</summary>
    public StateSnapshot WithSkippedSteps(long skippedSteps)
    {
        var copy = new StateSnapshot();
        copy._tensors.AddRange(_tensors);
        copy._scalars.AddRange(_scalars.Select(s => s.Key == "optimizer/skipped_steps" ? (s.Key, (double)skippedSteps) : s));
        return copy;
    }

    /// <summary>
    /// Fails unless <paramref name="actual"/> holds the same names with the same bits as <paramref name="expected"/>;
    /// the message names up to eight differences (the first differing element of each tensor, with both values).
    /// </summary>
    public static void AssertSame(StateSnapshot expected, StateSnapshot actual, string context)
    {
        var problems = new List<string>();
        var actualTensors = ToDictionary(actual._tensors, context);
        foreach (var (key, values) in expected._tensors)
        {
            if (!actualTensors.Remove(key, out var other))
            {
                problems.Add($"{key} is missing");
                continue;
            }
            if (other.Length != values.Length)
            {
                problems.Add($"{key} has {other.Length} elements, expected {values.Length}");
                continue;
            }
            int differing = 0, first = -1;
            for (int i = 0; i < values.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(values[i]) == BitConverter.SingleToInt32Bits(other[i])) continue;
                if (differing++ == 0) first = i;
            }
            if (differing > 0)
                problems.Add($"{key}[{first}] is {Show(other[first])}, expected {Show(values[first])} ({differing} of {values.Length} elements differ)");
        }
        problems.AddRange(actualTensors.Keys.Select(k => $"{k} is unexpected"));
        var actualScalars = ToDictionary(actual._scalars, context);
        foreach (var (key, value) in expected._scalars)
        {
            if (!actualScalars.Remove(key, out double other)) problems.Add($"{key} is missing");
            else if (BitConverter.DoubleToInt64Bits(value) != BitConverter.DoubleToInt64Bits(other)) problems.Add($"{key} is {other:R}, expected {value:R}");
        }
        problems.AddRange(actualScalars.Keys.Select(k => $"{k} is unexpected"));
        if (problems.Count > 0)
            Assert.Fail($"{context}: {problems.Count} differences\n  {string.Join("\n  ", problems.Take(8))}{(problems.Count > 8 ? "\n  ..." : "")}");
    }

    private static Dictionary<string, T> ToDictionary<T>(List<(string Key, T Value)> items, string context)
    {
        var dictionary = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (key, value) in items)
            if (!dictionary.TryAdd(key, value)) Assert.Fail($"{context}: two state entries are named {key}");
        return dictionary;
    }

    private static string Show(float x) => $"{x:R} (0x{BitConverter.SingleToInt32Bits(x):X8})";
}
