using System.Globalization;

namespace Momentum.IO;

/// <summary>
/// Replays a recorded optimization: initial parameters, then T steps of recorded gradients, with the gradient tensors
/// named <c>&lt;t&gt;/&lt;name&gt;</c>. A missing <c>&lt;t&gt;/&lt;name&gt;</c> means that parameter had <em>no gradient</em>
/// at step t. This is how Momentum is checked against torch.optim, and the engine of <c>momentum replay</c>.
/// </summary>
public static class Replay
{
    /// <summary>Reads the initial parameters from a safetensors file (tensor name = parameter name, any float dtype).</summary>
    /// <param name="file">The file.</param>
    /// <returns>A parameter set, in name order.</returns>
    /// <exception cref="InvalidDataException">A tensor cannot be a float32 parameter (not a float dtype, or an F64 value beyond float32's range).</exception>
    public static ParameterSet ReadParameters(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var set = new ParameterSet();
        foreach (var tensor in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!IsFloat(tensor.DType))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' has dtype {tensor.DType}; parameters must be F32, F16, BF16 or F64.");
            int[] shape = ToShape(file, tensor);
            set.Add(tensor.Name, shape, ToFloat32(file, tensor));
        }
        return set;
    }

    /// <summary>The most steps a replay runs: a step key is below it, and so is a requested step count.</summary>
    /// <remarks>A replay runs every step up to the last one named, with or without gradients, so this bounds the work and
    /// memory a small file can ask for (a step without gradients costs well under a microsecond and no memory of its own).</remarks>
    public const int MaxSteps = 1_000_000;

    /// <summary>
    /// Splits a gradient file into steps. Every tensor must be named <c>&lt;t&gt;/&lt;name&gt;</c> with t a non-negative
    /// integer written canonically (decimal digits, no leading zero, below <see cref="MaxSteps"/>) and name a parameter,
    /// with the parameter's shape.
    /// </summary>
    /// <param name="file">The gradient file.</param>
    /// <param name="parameters">The parameters.</param>
    /// <returns>Per step, the gradients present at that step; the step count is the largest t plus one (steps without
    /// gradients share one empty dictionary).</returns>
    /// <exception cref="InvalidDataException">A tensor is misnamed, names an unknown parameter, has the wrong shape, or holds an F64 value beyond float32's range.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<Parameter, float[]>> ReadGradients(SafeTensorsFile file, ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(parameters);
        var recorded = new Dictionary<int, Dictionary<Parameter, float[]>>();
        int count = 0;
        foreach (var tensor in file.Tensors)
        {
            int slash = tensor.Name.IndexOf('/');
            if (slash <= 0 || !IsDigits(tensor.Name.AsSpan(0, slash)))
                throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(tensor.Name)} is not named <step>/<parameter>.");
            int t = StepOf(file, tensor.Name, slash);
            string name = tensor.Name[(slash + 1)..];
            if (!parameters.TryGet(name, out var parameter))
                throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(tensor.Name)} names no parameter ({SafeTensorsFile.Quote(name)} is not in the parameters).");
            if (!IsFloat(tensor.DType))
                throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(tensor.Name)} has dtype {tensor.DType}; gradients must be F32, F16, BF16 or F64.");
            int[] shape = ToShape(file, tensor);
            if (!shape.AsSpan().SequenceEqual(parameter.Shape))
                throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(tensor.Name)} has shape [{string.Join(", ", shape)}] but parameter {SafeTensorsFile.Quote(name)} has [{string.Join(", ", parameter.Shape)}].");
            if (!recorded.TryGetValue(t, out var step)) recorded[t] = step = [];
            step[parameter] = ToFloat32(file, tensor);      // (t, name) is unique: names are unique and t is written one way
            count = Math.Max(count, t + 1);
        }
        var empty = new Dictionary<Parameter, float[]>();
        var result = new IReadOnlyDictionary<Parameter, float[]>[count];
        for (int t = 0; t < count; t++) result[t] = recorded.TryGetValue(t, out var s) ? s : empty;
        return result;
    }

    /// <summary>Runs the recorded steps on <paramref name="parameters"/> in order.</summary>
    /// <param name="transformation">The optimizer.</param>
    /// <param name="parameters">The parameters, updated in place.</param>
    /// <param name="gradients">Per step, the gradients present (absent = no gradient).</param>
    /// <param name="options">Optimizer options; <see langword="null"/> uses the defaults (non-finite gradients refused).</param>
    /// <returns>The optimizer after the last step.</returns>
    public static Optimizer Run(GradientTransformation transformation, ParameterSet parameters,
        IReadOnlyList<IReadOnlyDictionary<Parameter, float[]>> gradients, OptimizerOptions? options = null)
    {
        var optimizer = new Optimizer(transformation, parameters, options);
        var set = new GradientSet(parameters);
        foreach (var step in gradients)
        {
            set.ClearAll();
            foreach (var (parameter, gradient) in step) set.Set(parameter, gradient);
            optimizer.Step(set);
        }
        return optimizer;
    }

    /// <summary>Writes parameters to a safetensors file atomically, with optional metadata.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="path">The destination.</param>
    /// <param name="metadata">String metadata to record.</param>
    public static void WriteParameters(ParameterSet parameters, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafeTensorsWriter();
        foreach (var p in parameters) writer.Add(p.Name, p.Values, p.Shape);
        if (metadata is not null)
            foreach (var (k, v) in metadata) writer.AddMetadata(k, v);
        writer.WriteAtomic(path);
    }

    /// <summary>The step of a tensor named <c>&lt;t&gt;/...</c> whose t is all decimal digits: canonical and below <see cref="MaxSteps"/>.</summary>
    private static int StepOf(SafeTensorsFile file, string name, int slash)
    {
        if (slash > 1 && name[0] == '0')
            throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(name)}: step '{name[..slash]}' is not written canonically (no leading zeros), so it could name the same step as another key.");
        if (slash > 7 || !int.TryParse(name.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t >= MaxSteps)
            throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(name)}: step {SafeTensorsFile.Quote(name[..slash])} is past the last step a replay may have ({MaxSteps} steps).");
        return t;
    }

    /// <summary>The tensor's values as float32: an F64 value that is finite but beyond float32's range is an error, not ±∞.</summary>
    private static float[] ToFloat32(SafeTensorsFile file, SafeTensor tensor)
    {
        float[] values = tensor.ToSingle();
        if (tensor.DType != SafeTensorsDType.F64) return values;         // F16 and BF16 always fit
        double[] wide = tensor.ToDouble();
        for (int i = 0; i < values.Length; i++)
            if (float.IsInfinity(values[i]) && double.IsFinite(wide[i]))
                throw new InvalidDataException($"{file.SourceName}: tensor {SafeTensorsFile.Quote(tensor.Name)} element {i} is {wide[i].ToString("R", CultureInfo.InvariantCulture)}, beyond float32's range (±3.4028235e38).");
        return values;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');

    private static bool IsFloat(SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64;

    private static int[] ToShape(SafeTensorsFile file, SafeTensor tensor)
    {
        var shape = new int[tensor.Shape.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (tensor.Shape[i] > int.MaxValue) throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' has a dimension too large for a parameter.");
            shape[i] = (int)tensor.Shape[i];
        }
        return shape;
    }
}
