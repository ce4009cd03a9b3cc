namespace Momentum;

// What Checkpoint needs to read beyond the per-parameter states (Engine/Optimizer.State.cs): the row statistics.
public sealed partial class Optimizer
{
    /// <summary>The row statistics of <paramref name="parameter"/> (name and storage) in registration order, for checkpointing.</summary>
    internal IReadOnlyList<(string Name, RowBuffer Buffer)> RowStatisticsAt(Parameter parameter) =>
        _statistics.TryGetValue(parameter, out var list) ? [.. list.Select(s => (s.Name, s.Buffer))] : [];
}
