namespace Momentum.Specs;

/// <summary>
/// The <c>groups</c> argument every registered transformation accepts: torch-style parameter groups,
/// <c>adamw(lr=1e-3, weight_decay=0.1, groups=[group(params='*.bias', weight_decay=0), group(params='head.*', lr=1e-2)])</c>.
/// </summary>
/// <remarks>
/// The call without <c>groups</c> builds the default transformation (parameters no group selects). Each
/// <c>group(params=..., name=..., key=value, ...)</c> builds the same call with its keys overriding (or adding to) the
/// base call's; <c>params</c> is one glob pattern or a list of them (<c>*</c> any run of characters, <c>?</c> one), matched
/// against the whole parameter name; the first group that matches a parameter wins. <c>name</c> labels the group (default
/// <c>group{i}</c>; state lives under the label). Unknown keys inside a group are errors of the optimizer's own
/// argument check. The result is <see cref="Optimizers.WithGroups(GradientTransformation, ValueTuple{string, Func{Parameter, bool}, GradientTransformation}[])"/>.
/// </remarks>
internal static class ParameterGroupSpecs
{
    internal const string GroupsKey = "groups";

    internal static bool HasGroups(SpecCall call) => call.Arguments.Any(a => a.Key == GroupsKey);

    internal static GradientTransformation Create(SpecRegistry registry, SpecCall call)
    {
        var groupsArg = call.Arguments.First(a => a.Key == GroupsKey);
        var baseArgs = call.Arguments.Where(a => a.Key != GroupsKey).ToList();
        if (groupsArg.Value is not SpecList list)
            throw new SpecException(groupsArg.Position, $"argument 'groups' of '{call.Name}' must be a list [group(params='...', ...), ...]");
        var defaultTransformation = registry.Create(call with { Arguments = baseArgs });
        var groups = new (string?, Func<Parameter, bool>, GradientTransformation)[list.Items.Count];
        var groupPatterns = new IReadOnlyList<string>?[list.Items.Count];
        for (int i = 0; i < groups.Length; i++)
        {
            if (list.Items[i] is not SpecCall { Name: "group" } group)
                throw new SpecException(list.Items[i].Position, $"the items of '{call.Name}''s groups must be group(params='...', ...) calls");
            string[] patterns = [];
            string? name = null;
            var overrides = new List<SpecArgument>();
            foreach (var arg in group.Arguments)
            {
                switch (arg.Key)
                {
                    case null:
                        throw new SpecException(arg.Position, "group takes no positional arguments; write key=value");
                    case "params":
                        patterns = Patterns(arg);
                        break;
                    case "name":
                        name = arg.Value is SpecString { Value.Length: > 0 } s ? s.Value
                            : throw new SpecException(arg.Position, "argument 'name' of 'group' must be a non-empty quoted string");
                        break;
                    case GroupsKey:
                        throw new SpecException(arg.Position, "a group cannot have groups of its own");
                    default:
                        overrides.Add(arg);
                        break;
                }
            }
            if (patterns.Length == 0) throw new SpecException(group.Position, $"group {i} of '{call.Name}' needs params='pattern' (or a list of patterns)");
            var merged = baseArgs.Where(b => b.Key is null || !overrides.Exists(o => SameKey(o.Key!, b.Key))).Concat(overrides).ToList();
            GradientTransformation transformation;
            try
            {
                transformation = registry.Create(call with { Arguments = merged });
            }
            catch (SpecException e)
            {
                throw new SpecException(e.Position, $"in group {i} of '{call.Name}': {StripPosition(e.Message)}");
            }
            groups[i] = (name, ParameterGroups.Glob(patterns), transformation);
            groupPatterns[i] = patterns;
        }
        try
        {
            return Optimizers.WithGroups(defaultTransformation, groups, groupPatterns);
        }
        catch (ArgumentException e)
        {
            throw new SpecException(groupsArg.Position, $"{call.Name}: {e.Message}");
        }
    }

    /// <summary>Whether a group's key replaces a base key: the same key, or <c>lr</c> and <c>learning_rate</c> (both accepted by Optax-named optimizers).</summary>
    private static bool SameKey(string groupKey, string baseKey) =>
        groupKey == baseKey || (groupKey is "lr" or "learning_rate" && baseKey is "lr" or "learning_rate");

    private static string[] Patterns(SpecArgument arg)
    {
        const string Shape = "argument 'params' of 'group' must be a non-empty quoted pattern such as '*.bias', or a list of them";
        return arg.Value switch
        {
            SpecString { Value.Length: > 0 } s => [s.Value],
            SpecList { Items.Count: > 0 } l when l.Items.All(x => x is SpecString { Value.Length: > 0 }) => [.. l.Items.Cast<SpecString>().Select(x => x.Value)],
            _ => throw new SpecException(arg.Position, Shape),
        };
    }

    private static string StripPosition(string message)
    {
        const string Prefix = "spec position ";
        if (!message.StartsWith(Prefix, StringComparison.Ordinal)) return message;
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? message : message[(colon + 2)..];
    }
}
