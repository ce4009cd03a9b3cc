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
    /// <exception cref="InvalidDataException">A tensor cannot be a float32 parameter.</exception>
    public static ParameterSet ReadParameters(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var set = new ParameterSet();
        foreach (var tensor in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!IsFloat(tensor.DType))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' has dtype {tensor.DType}; parameters must be F32, F16, BF16 or F64.");
            int[] shape = ToShape(file, tensor);
            set.Add(tensor.Name, shape, tensor.ToSingle());
        }
        return set;
    }

    /// <summary>
    /// Splits a gradient file into steps. Every tensor must be named <c>&lt;t&gt;/&lt;name&gt;</c> with t a non-negative
    /// integer and name a parameter, with the parameter's shape.
    /// </summary>
    /// <param name="file">The gradient file.</param>
    /// <param name="parameters">The parameters.</param>
    /// <returns>Per step, the gradients present at that step; the step count is the largest t plus one.</returns>
    /// <exception cref="InvalidDataException">A tensor is misnamed, names an unknown parameter, or has the wrong shape.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<Parameter, float[]>> ReadGradients(SafeTensorsFile file, ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(parameters);
        var steps = new SortedDictionary<int, Dictionary<Parameter, float[]>>();
        foreach (var tensor in file.Tensors)
        {
            int slash = tensor.Name.IndexOf('/');
            if (slash <= 0 || !int.TryParse(tensor.Name.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int t))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' is not named <step>/<parameter>.");
            string name = tensor.Name[(slash + 1)..];
            if (!parameters.TryGet(name, out var parameter))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' names no parameter ('{name}' is not in the parameters).");
            if (!IsFloat(tensor.DType))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' has dtype {tensor.DType}; gradients must be F32, F16, BF16 or F64.");
            int[] shape = ToShape(file, tensor);
            if (!shape.AsSpan().SequenceEqual(parameter.Shape))
                throw new InvalidDataException($"{file.SourceName}: tensor '{tensor.Name}' has shape [{string.Join(", ", shape)}] but parameter '{name}' has [{string.Join(", ", parameter.Shape)}].");
            if (!steps.TryGetValue(t, out var step)) steps[t] = step = [];
            step[parameter] = tensor.ToSingle();
        }
        int count = steps.Count == 0 ? 0 : steps.Keys.Max() + 1;
        var result = new IReadOnlyDictionary<Parameter, float[]>[count];
        for (int t = 0; t < count; t++) result[t] = steps.TryGetValue(t, out var s) ? s : new Dictionary<Parameter, float[]>();
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
