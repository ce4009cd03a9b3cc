using System.Runtime.InteropServices;
using Momentum.IO;
using static TorchSharp.torch;

namespace Momentum.TorchSharp;

public sealed partial class TorchOptimizer
{
    /// <summary>
    /// Loads Adam or AdamW state named as PyTorch's optimizer <c>state_dict()</c> flattens it:
    /// <c>state.&lt;i&gt;.exp_avg</c>, <c>state.&lt;i&gt;.exp_avg_sq</c>, <c>state.&lt;i&gt;.step</c> and, with amsgrad,
    /// <c>state.&lt;i&gt;.max_exp_avg_sq</c>, where <c>i</c> is the parameter's position in <see cref="Parameters"/>
    /// (the order of <c>named_parameters()</c>, which is PyTorch's for one parameter group). A parameter with no
    /// <c>state.&lt;i&gt;.step</c> gets no state (its first gradient creates it, as in PyTorch).
    /// </summary>
    /// <param name="state">The tensors by name (e.g. read with <c>safetensors</c> or from TorchSharp's
    /// <see cref="FromTorchSharpAdam"/>); each moment has its parameter's shape, <c>step</c> is a scalar.</param>
    /// <exception cref="NotSupportedException">This optimizer is not one whose only state is Adam's moments and count
    /// (<c>adam</c>, <c>adamw</c>, with or without amsgrad, groups and schedules).</exception>
    /// <exception cref="InvalidDataException">A tensor is missing, or has another shape; nothing changed.</exception>
    /// <remarks>The optimizer's own step count (which schedules read) becomes the largest parameter step. The parameters'
    /// values are not changed.</remarks>
    public void LoadTorchAdamState(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // A checkpoint of a scratch copy with state for every parameter gives this optimizer's names for everything;
        // the Adam slots are then replaced by the tensors given, and the result loaded (checked before anything changes).
        var scratchParameters = new ParameterSet();
        foreach (var p in Parameters) scratchParameters.Add(p.Name, p.Shape, p.Values);
        var scratch = new Optimizer(Optimizer.Transformation, scratchParameters, Optimizer.Options);
        var zeros = new GradientSet(scratchParameters);
        foreach (var p in scratchParameters) zeros.Get(p, clear: true);
        scratch.Step(zeros);
        var buffer = new MemoryStream();
        Checkpoint.Save(buffer, scratch);
        var file = SafeTensorsFile.Read(buffer.ToArray(), "the optimizer's layout");

        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in file.Metadata) writer.AddMetadata(key, value);
        long maxStep = 0;
        var withState = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Parameters)
        {
            if (!state.TryGetValue($"state.{p.Index}.step", out var step)) continue;
            withState.Add(p.Name);
            maxStep = Math.Max(maxStep, (long)step.item<float>());
        }
        foreach (var t in file.Tensors)
        {
            string[] parts = t.Name.Split('/');
            if (parts[0] == "optimizer" && parts[1] == "step_count") writer.Add(t.Name, [maxStep]);
            else if (parts[0] == "param") writer.Add(t.Name, Parameters[parts[1]].Values, Parameters[parts[1]].Shape);
            else if (parts[0] is "has_state" or "state")
            {
                if (!withState.Contains(parts[1])) continue;
                var p = Parameters[parts[1]];
                if (parts[0] == "has_state") writer.AddBytes(t.Name, t.DType, t.Data, [.. t.Shape.Select(d => (int)d)]);
                else
                {
                    string slot = parts[^1];
                    string torchName = slot switch
                    {
                        "mu" => "exp_avg",
                        "nu" => "exp_avg_sq",
                        "nu_max" => "max_exp_avg_sq",
                        "count" => "step",
                        _ => throw new NotSupportedException($"State '{t.Name}' has no PyTorch Adam counterpart: only adam and adamw state can be loaded from PyTorch names."),
                    };
                    var source = state.TryGetValue($"state.{p.Index}.{torchName}", out var s) ? s
                        : throw new InvalidDataException($"State tensor 'state.{p.Index}.{torchName}' of parameter '{p.Name}' is missing.");
                    if (slot == "count") writer.Add(t.Name, [(double)source.item<float>()]);
                    else
                    {
                        if (!source.shape.SequenceEqual(p.Shape.Select(d => (long)d)))
                            throw new InvalidDataException($"State tensor 'state.{p.Index}.{torchName}' has shape [{string.Join(", ", source.shape)}]; parameter '{p.Name}' has [{string.Join(", ", p.Shape)}].");
                        using var values = source.to_type(ScalarType.Float32).contiguous();
                        writer.Add(t.Name, MemoryMarshal.Cast<byte, float>(values.bytes), p.Shape);
                    }
                }
            }
            else if (parts[0] == "optimizer") writer.AddBytes(t.Name, t.DType, t.Data, [.. t.Shape.Select(d => (int)d)]);
            else throw new NotSupportedException($"State '{t.Name}' has no PyTorch Adam counterpart: only adam and adamw state can be loaded from PyTorch names.");
        }
        Checkpoint.Load(new MemoryStream(writer.ToArray()), Optimizer);
    }

    /// <summary>
    /// The state of a TorchSharp <c>torch.optim.Adam</c> or <c>AdamW</c> under PyTorch's flattened names, for
    /// <see cref="LoadTorchAdamState"/>; parameter <c>i</c> is the <c>i</c>-th of the TorchSharp optimizer's (single)
    /// parameter group.
    /// </summary>
    /// <param name="optimizer">A TorchSharp Adam or AdamW optimizer.</param>
    /// <returns>The tensors by name (views of the optimizer's own state; the step as a float32 scalar).</returns>
    /// <exception cref="NotSupportedException">The optimizer is not Adam or AdamW.</exception>
    public static Dictionary<string, Tensor> FromTorchSharpAdam(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var states = optimizer switch
        {
            global::TorchSharp.Modules.Adam adam => adam.state_dict().State,
            global::TorchSharp.Modules.AdamW adamw => adamw.state_dict().State,
            _ => throw new NotSupportedException($"{optimizer.GetType().Name} is not TorchSharp's Adam or AdamW."),
        };
        for (int i = 0; i < states.Count; i++)
        {
            switch (states[i])
            {
                case global::TorchSharp.Modules.Adam.State a:
                    Add(i, a.step, a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq);
                    break;
                case global::TorchSharp.Modules.AdamW.State w:
                    Add(i, w.step, w.exp_avg, w.exp_avg_sq, w.max_exp_avg_sq);
                    break;
            }
        }
        return result;

        void Add(int i, long step, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq)
        {
            if (step == 0) return; // never stepped: PyTorch would have no state
            result[$"state.{i}.step"] = tensor((float)step);
            result[$"state.{i}.exp_avg"] = expAvg;
            result[$"state.{i}.exp_avg_sq"] = expAvgSq;
            if (maxExpAvgSq is not null) result[$"state.{i}.max_exp_avg_sq"] = maxExpAvgSq;
        }
    }
}
