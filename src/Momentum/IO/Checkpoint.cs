using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Momentum.IO;

/// <summary>
/// Saves and restores an optimizer and its parameters as one safetensors file that Python can read: parameters as
/// <c>param/&lt;name&gt;</c>, every state tensor as <c>state/&lt;name&gt;/&lt;path&gt;/&lt;slot&gt;</c> (F32, or BF16 of the
/// parameter's shape for bfloat16 moments), every state scalar (counters, running products) as an F64 scalar under the
/// same scheme, <c>has_state/&lt;name&gt;</c> (an I64 scalar 1) for each parameter with state, the state of every stateful
/// learning-rate schedule (a plateau schedule) as <c>schedule/&lt;path&gt;/&lt;slot&gt;</c>, every row statistic as
/// <c>stat/&lt;name&gt;/&lt;statistic&gt;</c> (F32 [rows, row length]), and the optimizer's counters under <c>optimizer/</c>. Saving is atomic (temporary file, flush to disk, rename). Loading checks every name and shape
/// against the optimizer before changing anything, so a mismatched file changes nothing. Save, load and continue gives
/// bit-for-bit the same run as never stopping.
/// </summary>
public static class Checkpoint
{
    private const string Format = "momentum-checkpoint-1";

    /// <summary>Writes the parameters and the optimizer's state to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The destination file.</param>
    /// <param name="optimizer">The optimizer (its parameters are saved too).</param>
    /// <param name="metadata">Extra string metadata to record.</param>
    public static void Save(string path, Optimizer optimizer, IReadOnlyDictionary<string, string>? metadata = null) =>
        Build(optimizer, metadata).WriteAtomic(path);

    /// <summary>The checkpoint of <paramref name="optimizer"/>, ready to write.</summary>
    private static SafeTensorsWriter Build(Optimizer optimizer, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", Format);
        if (metadata is not null)
            foreach (var (k, v) in metadata) writer.AddMetadata(k, v);
        writer.Add("optimizer/step_count", [optimizer.StepCount]);
        writer.Add("optimizer/skipped_steps", [optimizer.SkippedSteps]);
        foreach (var p in optimizer.Parameters)
        {
            writer.Add($"param/{p.Name}", p.Values, p.Shape);
            var states = optimizer.StatesAt(p.Index);
            if (states is null) continue;
            var stages = optimizer.StagesAt(p.Index);
            writer.Add($"has_state/{p.Name}", [1L]);
            for (int s = 0; s < states.Length; s++)
            {
                if (states[s] is not { } state) continue;
                foreach (var t in state.Tensors) AddTensor(writer, $"state/{p.Name}/{stages[s].Path}/{t.Slot}", p, t);
                foreach (var scalar in state.Scalars) writer.Add($"state/{p.Name}/{stages[s].Path}/{scalar.Slot}", [scalar.Get()]);
            }
        }
        foreach (var (name, scalar) in ScheduleScalars(optimizer)) writer.Add(name, [scalar.Get()]);
        foreach (var p in optimizer.Parameters)
            foreach (var (name, buffer) in optimizer.RowStatisticsAt(p)) writer.Add($"stat/{p.Name}/{name}", buffer.Span, buffer.Rows, buffer.RowLength);
        SaveWrapperStates(writer, optimizer);
        return writer;
    }

    /// <summary>Writes the parameters and the optimizer's state to <paramref name="destination"/>: the bytes of the file
    /// <see cref="Save(string, Optimizer, IReadOnlyDictionary{string, string}?)"/> writes, for keeping state in memory or
    /// sending it over a network.</summary>
    /// <param name="destination">A writable stream; the checkpoint is written at its position, and it is left open.</param>
    /// <param name="optimizer">The optimizer (its parameters are saved too).</param>
    /// <param name="metadata">Extra string metadata to record.</param>
    public static void Save(Stream destination, Optimizer optimizer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Build(optimizer, metadata).Write(destination);
    }

    /// <summary>Restores a checkpoint read from <paramref name="source"/> (to its end), with the same checks and the same
    /// all-or-nothing guarantee as <see cref="Load(string, Optimizer)"/>.</summary>
    /// <param name="source">A readable stream holding one checkpoint from its position to its end; it is left open.</param>
    /// <param name="optimizer">The optimizer to restore into.</param>
    /// <exception cref="InvalidDataException">The bytes are malformed, or a name, shape or dtype does not match; nothing was changed.</exception>
    public static void Load(Stream source, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Load(SafeTensorsFile.Read(source, "<stream>"), optimizer);
    }

    /// <summary>Restores only the parameters of a checkpoint (like loading a model's weights): every parameter of
    /// <paramref name="parameters"/> must be in the file with its shape, and the file must hold no other parameter;
    /// optimizer state in the file is ignored.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="parameters">The parameters to overwrite.</param>
    /// <exception cref="InvalidDataException">The file is malformed, or a parameter is missing, extra or of another shape; nothing was changed.</exception>
    public static void LoadParameters(string path, ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        LoadParameters(SafeTensorsFile.Read(path), parameters);
    }

    /// <summary>As <see cref="LoadParameters(string, ParameterSet)"/>, from a stream read to its end.</summary>
    /// <param name="source">A readable stream holding one checkpoint from its position to its end; it is left open.</param>
    /// <param name="parameters">The parameters to overwrite.</param>
    /// <exception cref="InvalidDataException">The bytes are malformed, or a parameter is missing, extra or of another shape; nothing was changed.</exception>
    public static void LoadParameters(Stream source, ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        LoadParameters(SafeTensorsFile.Read(source, "<stream>"), parameters);
    }

    private static void LoadParameters(SafeTensorsFile file, ParameterSet parameters)
    {
        CheckFormat(file);
        var staged = new List<(Parameter, float[])>();
        foreach (var p in parameters)
        {
            string name = $"param/{p.Name}";
            if (!file.TryGet(name, out var t)) ThrowMissing(file, name);
            if (t.DType != SafeTensorsDType.F32 || !t.Shape.SequenceEqual(p.Shape.Select(d => (long)d)))
                throw new InvalidDataException($"{file.SourceName}: tensor '{name}' is {t.DType} [{string.Join(", ", t.Shape)}]; expected F32 [{string.Join(", ", p.Shape)}].");
            staged.Add((p, t.ToSingle()));
        }
        var extra = file.Tensors.FirstOrDefault(t => t.Name.StartsWith("param/", StringComparison.Ordinal) && !parameters.TryGet(t.Name["param/".Length..], out _));
        if (extra is not null) throw new InvalidDataException($"{file.SourceName}: tensor '{extra.Name}' names no parameter of this set.");
        foreach (var (p, values) in staged) values.CopyTo(p.Values);
    }

    /// <summary>
    /// Throws the error for a tensor the file lacks, with what the file does hold: its tensor count and the names nearest
    /// to the missing one (five at most, each cut at 120 characters), so a renamed parameter or another optimizer shows.
    /// </summary>
    [DoesNotReturn]
    private static void ThrowMissing(SafeTensorsFile file, string name)
    {
        const int Shown = 5;
        var nearest = NearestNames.Nearest(name, file.Tensors.Select(t => t.Name), Shown);
        string holds = nearest.Count == 0 ? "the file has no tensors"
            : $"the file has {file.Tensors.Count} tensors, nearest: {string.Join(", ", nearest.Select(n => SafeTensorsFile.Quote(n)))}"
              + (file.Tensors.Count > Shown ? $" (and {file.Tensors.Count - Shown} more)" : "");
        throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(name)} is missing; {holds}.");
    }

    private static void CheckFormat(SafeTensorsFile file)
    {
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{file.SourceName}: not a Momentum checkpoint (metadata 'format' is not '{Format}').");
    }

    /// <summary>
    /// Restores parameters and state saved by <see cref="Save(string, Optimizer, IReadOnlyDictionary{string, string}?)"/> into <paramref name="optimizer"/>, which must have been
    /// built with the same transformation on parameters of the same names and shapes.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="optimizer">The optimizer to restore into.</param>
    /// <exception cref="InvalidDataException">The file is malformed, or a name, shape or dtype does not match; nothing was changed.</exception>
    public static void Load(string path, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Load(SafeTensorsFile.Read(path), optimizer);
    }

    /// <summary>Checks everything in <paramref name="file"/> against <paramref name="optimizer"/>, then restores it.</summary>
    private static void Load(SafeTensorsFile file, Optimizer optimizer)
    {
        string where = file.SourceName;
        CheckFormat(file);
        var used = new HashSet<string>(StringComparer.Ordinal);

        SafeTensor Take(string name, SafeTensorsDType dtype, IReadOnlyList<int> shape)
        {
            if (!file.TryGet(name, out var t)) ThrowMissing(file, name);
            if (t.DType != dtype) throw new InvalidDataException($"{where}: tensor '{name}' has dtype {t.DType}; expected {dtype}.");
            if (!t.Shape.SequenceEqual(shape.Select(d => (long)d)))
                throw new InvalidDataException($"{where}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}]; expected [{string.Join(", ", shape)}].");
            used.Add(name);
            return t;
        }

        // A state marker is an I64 scalar 1 when present.
        bool HasMarker(string name)
        {
            if (!file.TryGet(name, out _)) return false;
            long value = Take(name, SafeTensorsDType.I64, []).ToInt64()[0];
            if (value != 1) throw new InvalidDataException($"{where}: tensor '{name}' is {value}; a state marker must be 1.");
            return true;
        }

        long stepCount = Take("optimizer/step_count", SafeTensorsDType.I64, []).ToInt64()[0];
        long skipped = Take("optimizer/skipped_steps", SafeTensorsDType.I64, []).ToInt64()[0];
        if (stepCount < 0 || skipped < 0) throw new InvalidDataException($"{where}: negative optimizer counters.");

        // Stage everything first; nothing is written into the optimizer until every name and shape has been checked.
        var parameterValues = new List<(Parameter, float[])>();
        var stagedStates = new List<(int, TransformState?[]?)>();
        var tensorCopies = new List<(RowBuffer, float[])>();
        var scalarSets = new List<(StateScalar, double)>();
        foreach (var p in optimizer.Parameters)
        {
            parameterValues.Add((p, Take($"param/{p.Name}", SafeTensorsDType.F32, p.Shape).ToSingle()));
            if (!HasMarker($"has_state/{p.Name}"))
            {
                stagedStates.Add((p.Index, null));
                continue;
            }
            var stages = optimizer.StagesAt(p.Index);
            var states = optimizer.CreateDetachedStates(p.Index);
            for (int s = 0; s < states.Length; s++)
            {
                if (states[s] is not { } state) continue;
                foreach (var t in state.Tensors) tensorCopies.Add((t.Buffer, TakeTensor(Take, $"state/{p.Name}/{stages[s].Path}/{t.Slot}", p, t)));
                foreach (var scalar in state.Scalars)
                    scalarSets.Add((scalar, Take($"state/{p.Name}/{stages[s].Path}/{scalar.Slot}", SafeTensorsDType.F64, []).ToDouble()[0]));
            }
            stagedStates.Add((p.Index, states));
        }
        foreach (var (name, scalar) in ScheduleScalars(optimizer)) scalarSets.Add((scalar, Take(name, SafeTensorsDType.F64, []).ToDouble()[0]));
        foreach (var p in optimizer.Parameters)
            foreach (var (name, buffer) in optimizer.RowStatisticsAt(p))
                tensorCopies.Add((buffer, Take($"stat/{p.Name}/{name}", SafeTensorsDType.F32, [buffer.Rows, buffer.RowLength]).ToSingle()));
        var wrapperStates = LoadWrapperStates(file, optimizer, Take, HasMarker, tensorCopies, scalarSets);
        var unknown = file.Tensors.FirstOrDefault(t => !used.Contains(t.Name));
        if (unknown is not null)
            throw new InvalidDataException($"{where}: tensor '{unknown.Name}' does not belong to this optimizer (a different transformation or parameter set?).");

        foreach (var (buffer, values) in tensorCopies) values.CopyTo(buffer.Span);
        foreach (var (scalar, value) in scalarSets) scalar.Set(value);
        foreach (var (p, values) in parameterValues) values.CopyTo(p.Values);
        foreach (var (index, states) in stagedStates) optimizer.AttachStates(index, states);
        foreach (var (w, index, state) in wrapperStates) optimizer.AttachWrapperState(w, index, state);
        optimizer.RestoreCounters(stepCount, skipped);
    }

    /// <summary>Writes the state of step wrappers (<c>apply_if_finite</c>, <c>lookahead</c>, ...): per parameter as
    /// <c>wstate/&lt;name&gt;/&lt;path&gt;/&lt;slot&gt;</c>, optimizer-wide as <c>wrapper/&lt;path&gt;/&lt;slot&gt;</c>.</summary>
    private static void SaveWrapperStates(SafeTensorsWriter writer, Optimizer optimizer)
    {
        var paths = optimizer.WrapperPaths;
        for (int w = 0; w < paths.Count; w++)
        {
            if (optimizer.WrapperGlobalAt(w) is { } global)
                foreach (var scalar in global.Scalars) writer.Add($"wrapper/{paths[w]}/{scalar.Slot}", [scalar.Get()]);
            foreach (var p in optimizer.Parameters)
            {
                if (optimizer.WrapperStateAt(w, p.Index) is not { } state) continue;
                writer.Add($"has_wstate/{p.Name}/{paths[w]}", [1L]);
                foreach (var t in state.Tensors) AddTensor(writer, $"wstate/{p.Name}/{paths[w]}/{t.Slot}", p, t);
                foreach (var scalar in state.Scalars) writer.Add($"wstate/{p.Name}/{paths[w]}/{scalar.Slot}", [scalar.Get()]);
            }
        }
    }

    /// <summary>Stages the wrapper states of a checkpoint (checked, not yet attached).</summary>
    private static List<(int Wrapper, int Parameter, TransformState? State)> LoadWrapperStates(SafeTensorsFile file, Optimizer optimizer,
        Func<string, SafeTensorsDType, IReadOnlyList<int>, SafeTensor> take, Func<string, bool> hasMarker,
        List<(RowBuffer, float[])> tensorCopies, List<(StateScalar, double)> scalarSets)
    {
        var staged = new List<(int, int, TransformState?)>();
        var paths = optimizer.WrapperPaths;
        for (int w = 0; w < paths.Count; w++)
        {
            if (optimizer.WrapperGlobalAt(w) is { } global)
                foreach (var scalar in global.Scalars)
                    scalarSets.Add((scalar, take($"wrapper/{paths[w]}/{scalar.Slot}", SafeTensorsDType.F64, []).ToDouble()[0]));
            foreach (var p in optimizer.Parameters)
            {
                if (!hasMarker($"has_wstate/{p.Name}/{paths[w]}"))
                {
                    staged.Add((w, p.Index, null));
                    continue;
                }
                var state = optimizer.CreateDetachedWrapperState(w, p.Index);
                if (state is not null)
                {
                    foreach (var t in state.Tensors) tensorCopies.Add((t.Buffer, TakeTensor(take, $"wstate/{p.Name}/{paths[w]}/{t.Slot}", p, t)));
                    foreach (var scalar in state.Scalars)
                        scalarSets.Add((scalar, take($"wstate/{p.Name}/{paths[w]}/{scalar.Slot}", SafeTensorsDType.F64, []).ToDouble()[0]));
                }
                staged.Add((w, p.Index, state));
            }
        }
        return staged;
    }

    /// <summary>
    /// The state scalars of every stateful learning-rate schedule (a plateau schedule, alone or inside joined or chained
    /// schedules), each schedule once, named <c>schedule/&lt;path&gt;/&lt;slot&gt;</c> after the first stage (in parameter
    /// order) that uses it: the schedules <see cref="Optimizer.ReportMetric"/> reaches, whether or not any parameter has state.
    /// </summary>
    private static List<(string Name, StateScalar Scalar)> ScheduleScalars(Optimizer optimizer)
    {
        var result = new List<(string, StateScalar)>();
        var seen = new HashSet<Schedule>(ReferenceEqualityComparer.Instance);
        foreach (var p in optimizer.Parameters)
            foreach (var (path, transform) in optimizer.StagesAt(p.Index))
                if (transform is ScaleByLearningRateTransformation lr && seen.Add(lr.LearningRate))
                    foreach (var (slot, scalar) in Schedules.StateScalarsOf(lr.LearningRate)) result.Add(($"schedule/{path}/{slot}", scalar));
        return result;
    }

    /// <summary>Adds a state tensor: F32 in its saved shape, or BF16 of the parameter's shape for packed bfloat16 storage.</summary>
    private static void AddTensor(SafeTensorsWriter writer, string name, Parameter p, StateTensor t)
    {
        if (!t.IsBFloat16)
        {
            writer.Add(name, t.Buffer.Span, StateShape(p, t));
            return;
        }
        ReadOnlySpan<ushort> values = MemoryMarshal.Cast<float, ushort>(t.Buffer.Span)[..p.Length];
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        writer.AddBytes(name, SafeTensorsDType.BF16, bytes, ParameterShape(p));
    }

    /// <summary>Reads a state tensor saved by <see cref="AddTensor"/> into a copy of its storage's layout (checked, not yet applied).</summary>
    private static float[] TakeTensor(Func<string, SafeTensorsDType, IReadOnlyList<int>, SafeTensor> take, string name, Parameter p, StateTensor t)
    {
        if (!t.IsBFloat16) return take(name, SafeTensorsDType.F32, StateShape(p, t)).ToSingle();
        ReadOnlySpan<byte> bytes = take(name, SafeTensorsDType.BF16, ParameterShape(p)).Data;
        var storage = new float[t.Buffer.Length];
        Span<ushort> packed = MemoryMarshal.Cast<float, ushort>(storage.AsSpan());
        for (int i = 0; i < p.Length; i++) packed[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
        return storage;
    }

    private static int[] ParameterShape(Parameter p) => p.Rank == 0 ? [] : [.. p.Shape];

    /// <summary>A state tensor's saved shape: the parameter's for a per-row tensor of its row length, else [rows, row length] (e.g. per-row counters).</summary>
    private static int[] StateShape(Parameter p, StateTensor t) =>
        t.PerRow && t.Buffer.RowLength == p.RowLength ? (p.Rank == 0 ? [] : p.Shape) : [t.Buffer.Rows, t.Buffer.RowLength];
}
