namespace Momentum.Specs;

/// <summary>
/// <c>partition</c> (Optax's <c>partition</c>, formerly <c>multi_transform</c>):
/// <c>partition(transforms=[('decay', adamw()), ('no_decay', adamw(weight_decay=0))], param_labels=[('*.bias', 'no_decay'), ('*', 'decay')])</c>.
/// </summary>
[SpecProvider]
internal static class PartitionSpecs
{
    public static void Register(SpecRegistry r)
    {
        r.Register("partition", "partition(transforms=[('label', transformation), ...], param_labels=[('glob', 'label'), ...]): one transformation per label; first matching glob labels a parameter", "partition(transforms=[('decay', adamw(lr=0.01, weight_decay=0.1)), ('plain', sgd(lr=0.05, momentum=0.9))], param_labels=[('*.bias', 'plain'), ('*', 'decay')])", Create);
        r.Register("multi_transform", "multi_transform(...): Optax's former name of partition", "multi_transform(transforms=[('factored', adafactor(learning_rate=0.01, min_dim_size_to_factor=16)), ('rest', adamw(lr=0.01))], param_labels=[('*.weight', 'factored'), ('*', 'rest')])", Create);
    }

    private static GradientTransformation Create(SpecArguments a)
    {
        var transforms = new Dictionary<string, GradientTransformation>(StringComparer.Ordinal);
        foreach (var item in Pairs(a, "transforms", "('label', transformation)"))
        {
            if (item.Items is not [SpecString { Value.Length: > 0 } label, SpecCall call])
                throw new SpecException(item.Position, "the items of partition's transforms must be ('label', transformation) pairs");
            if (!transforms.TryAdd(label.Value, a.Registry.Create(call)))
                throw new SpecException(item.Position, $"partition's transforms give the label '{label.Value}' twice");
        }
        var labels = new List<(string Pattern, string Label)>();
        foreach (var item in Pairs(a, "param_labels", "('glob', 'label')"))
        {
            if (item.Items is not [SpecString { Value.Length: > 0 } pattern, SpecString { Value.Length: > 0 } label])
                throw new SpecException(item.Position, "the items of partition's param_labels must be ('glob', 'label') pairs of non-empty strings");
            if (!transforms.ContainsKey(label.Value))
                throw new SpecException(item.Position, $"partition's param_labels use the label '{label.Value}', which has no transformation in transforms");
            labels.Add((pattern.Value, label.Value));
        }
        var rules = labels.ToArray();
        return Transforms.Partition(p =>
        {
            foreach (var (pattern, label) in rules)
                if (ParameterGroups.Matches(pattern, p.Name)) return label;
            throw new ArgumentException($"Parameter '{p.Name}' matches none of partition's param_labels; add a catch-all ('*', 'label').", "param_labels");
        }, transforms);
    }

    private static IEnumerable<SpecList> Pairs(SpecArguments a, string key, string shape)
    {
        var raw = a.Raw(key) ?? throw new SpecException(a.Position, $"'partition' needs the argument '{key}'");
        if (raw is not SpecList { Items.Count: > 0 } list) throw new SpecException(raw.Position, $"argument '{key}' of 'partition' must be a non-empty list of {shape} pairs");
        foreach (var item in list.Items)
            yield return item as SpecList ?? throw new SpecException(item.Position, $"argument '{key}' of 'partition' must be a list of {shape} pairs");
    }
}
