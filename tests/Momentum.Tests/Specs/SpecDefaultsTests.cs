using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Momentum.Specs;
using Momentum.Tests.Engine;

namespace Momentum.Tests.Specs;

/// <summary>
/// An optimizer's options record is the one home of its defaults: the spec with no arguments builds the same numbers as
/// the C# factory with <c>new XOptions()</c>, and the registry's summary lists the record's defaults, each of which the
/// spec really uses.
/// </summary>
public class SpecDefaultsTests
{
    /// <summary>
    /// Every registered spec name whose arguments bind an options record, with the C# call it must equal. Names whose
    /// spec requires an argument (Optax requires <c>learning_rate</c>) give it the record's own value.
    /// </summary>
    private static readonly Dictionary<string, Func<GradientTransformation>> s_byRecord = new(StringComparer.Ordinal)
    {
        ["sgd"] = () => Optimizers.Sgd(new SgdOptions()),
        ["adam"] = () => Optimizers.Adam(new AdamOptions()),
        ["adamw"] = () => Optimizers.AdamW(new AdamWOptions()),
        ["rmsprop"] = () => Optimizers.RmsProp(new RmsPropOptions()),
        ["adagrad"] = () => Optimizers.Adagrad(new AdagradOptions()),
        ["adadelta"] = () => Optimizers.Adadelta(new AdadeltaOptions()),
        ["adamax"] = () => Optimizers.Adamax(new AdamaxOptions()),
        ["nadam"] = () => Optimizers.NAdam(new NAdamOptions()),
        ["radam"] = () => Optimizers.RAdam(new RAdamOptions()),
        ["rprop"] = () => Optimizers.Rprop(new RpropOptions()),
        ["asgd"] = () => Optimizers.Asgd(new AsgdOptions()),
        ["acprop"] = () => Optimizers.AcProp(new AcPropOptions()),
        ["adabelief"] = () => Optimizers.AdaBelief(new AdaBeliefOptions()),
        ["adafactor"] = () => Optimizers.Adafactor(new AdafactorOptions()),
        ["adamaxw"] = () => Optimizers.AdamaxW(new AdamaxWOptions()),
        ["adan"] = () => Optimizers.Adan(new AdanOptions()),
        ["amsgrad"] = () => Optimizers.Amsgrad(new AmsgradOptions()),
        ["fromage"] = () => Optimizers.Fromage(new FromageOptions()),
        ["lamb"] = () => Optimizers.Lamb(new LambOptions()),
        ["lars"] = () => Optimizers.Lars(new LarsOptions()),
        ["lion"] = () => Optimizers.Lion(new LionOptions()),
        ["nadamw"] = () => Optimizers.NAdamW(new OptaxAdamWOptions()),
        ["noisy_sgd"] = () => Optimizers.NoisySgd(new NoisySgdOptions()),
        ["novograd"] = () => Optimizers.Novograd(new NovogradOptions()),
        ["optimistic_gradient_descent"] = () => Optimizers.OptimisticGradientDescent(new OptimisticGradientDescentOptions()),
        ["optimistic_gd"] = () => Optimizers.OptimisticGradientDescent(new OptimisticGradientDescentOptions()),
        ["optimistic_adam"] = () => Optimizers.OptimisticAdam(new OptimisticAdamOptions()),
        ["optimistic_adam_v2"] = () => Optimizers.OptimisticAdam(new OptimisticAdamOptions()),
        ["polyak_sgd"] = () => Optimizers.PolyakSgd(new PolyakSgdOptions()),
        ["sign_sgd"] = () => Optimizers.SignSgd(new SignSgdOptions()),
        ["signum"] = () => Optimizers.Signum(new SignumOptions()),
        ["sm3"] = () => Optimizers.Sm3(new Sm3Options()),
        ["yogi"] = () => Optimizers.Yogi(new YogiOptions()),
        ["optax.sgd"] = () => Optimizers.OptaxSgd(new OptaxSgdOptions()),
        ["optax.adam"] = () => Optimizers.OptaxAdam(new OptaxAdamOptions()),
        ["optax.adamw"] = () => Optimizers.OptaxAdamW(new OptaxAdamWOptions()),
        ["optax.nadam"] = () => Optimizers.OptaxNAdam(new OptaxAdamOptions()),
        ["optax.radam"] = () => Optimizers.OptaxRadam(new OptaxRadamOptions()),
        ["optax.rmsprop"] = () => Optimizers.OptaxRmsProp(new OptaxRmsPropOptions()),
        ["optax.adagrad"] = () => Optimizers.OptaxAdagrad(new OptaxAdagradOptions()),
        ["optax.adadelta"] = () => Optimizers.OptaxAdadelta(new OptaxAdadeltaOptions()),
        ["optax.adamax"] = () => Optimizers.OptaxAdamax(new OptaxAdamaxOptions()),
        ["optax.rprop"] = () => Optimizers.OptaxRprop(new OptaxRpropOptions()),
        ["adopt"] = () => Optimizers.Adopt(new AdoptOptions()),
        ["ademamix"] = () => Optimizers.Ademamix(new AdemamixOptions()),
        ["simplified_ademamix"] = () => Optimizers.SimplifiedAdemamix(new SimplifiedAdemamixOptions()),
        ["schedule_free_sgd"] = () => Optimizers.ScheduleFreeSgd(new ScheduleFreeSgdOptions()),
        ["schedule_free_adamw"] = () => Optimizers.ScheduleFreeAdamW(new ScheduleFreeAdamWOptions()),
        ["dadapt_adamw"] = () => Optimizers.DAdaptAdamW(new DAdaptAdamWOptions()),
        ["prodigy"] = () => Optimizers.Prodigy(new ProdigyOptions()),
        ["dog"] = () => Optimizers.Dog(new DogOptions()),
        ["dowg"] = () => Optimizers.Dowg(new DowgOptions()),
        ["cocob"] = () => Optimizers.Cocob(new CocobOptions()),
        ["muon"] = () => Optimizers.Muon(new MuonOptions()),
    };

    /// <summary>
    /// Building blocks (no options record): the spec without arguments against the C# method with its own parameter
    /// defaults, so the spec's and the method's defaults cannot drift apart either.
    /// </summary>
    private static readonly Dictionary<string, Func<GradientTransformation>> s_blocks = new(StringComparer.Ordinal)
    {
        ["scale_by_adam"] = () => Transforms.ScaleByAdam(),
        ["scale_by_adam_row_mean"] = () => Transforms.ScaleByAdamRowMean(),
        ["scale_by_adam_bf16"] = () => Transforms.ScaleByAdamBFloat16State(),
        ["scale_by_factored_rms"] = () => Transforms.ScaleByFactoredRms(),
        ["scale_by_belief"] = () => Transforms.ScaleByBelief(),
        ["scale_by_acprop"] = () => Transforms.ScaleByAcProp(),
        ["scale_by_optimistic_gradient"] = () => Transforms.ScaleByOptimisticGradient(),
        ["scale_by_lion"] = () => Transforms.ScaleByLion(),
        ["scale_by_amsgrad"] = () => Transforms.ScaleByAmsgrad(),
        ["scale_by_adan"] = () => Transforms.ScaleByAdan(),
        ["scale_by_novograd"] = () => Transforms.ScaleByNovograd(),
        ["scale_by_sm3"] = () => Transforms.ScaleBySm3(),
        ["scale_by_yogi"] = () => Transforms.ScaleByYogi(),
        ["scale_by_rms"] = () => Transforms.ScaleByRms(),
        ["scale_by_stddev"] = () => Transforms.ScaleByStddev(),
        ["scale_by_rss"] = () => Transforms.ScaleByRss(),
        ["scale_by_trust_ratio"] = () => Transforms.ScaleByTrustRatio(),
        ["scale_by_param_block_norm"] = () => Transforms.ScaleByParamBlockNorm(),
        ["scale_by_param_block_rms"] = () => Transforms.ScaleByParamBlockRms(),
        ["scale_by_polyak"] = () => Transforms.ScaleByPolyak(),
        ["scale_by_radam"] = () => Transforms.ScaleByRadam(),
        ["scale_by_adamax"] = () => Transforms.ScaleByAdamax(),
        ["scale_by_adadelta"] = () => Transforms.ScaleByAdadelta(),
        ["scale_by_cocob"] = () => Transforms.ScaleByCocob(),
        ["scale_by_muon"] = () => Transforms.ScaleByMuon(),
        ["scale_by_shape"] = () => Transforms.ScaleByShape(),
        ["scale_by_adopt"] = () => Transforms.ScaleByAdopt(),
        ["scale_by_ademamix"] = () => Transforms.ScaleByAdemamix(),
        ["scale_by_simplified_ademamix"] = () => Transforms.ScaleBySimplifiedAdemamix(),
        ["reduce_on_plateau"] = () => Transforms.ReduceOnPlateau(),
    };

    /// <summary>Names that take no argument with a default (nothing to compare), or whose one default the C# API does not have.</summary>
    private static readonly string[] s_nothingToCompare =
        ["identity", "scale_by_sign", "set_to_zero", "centralize", "keep_params_nonnegative", "zero_nans", "chain", "add_decayed_weights"];

    /// <summary>The arguments a spec cannot do without, given the record's own values.</summary>
    private static readonly Dictionary<string, string> s_requiredArguments = new(StringComparer.Ordinal)
    {
        ["adopt"] = $"learning_rate={Format(new AdoptOptions().LearningRate)}",
        ["ademamix"] = $"learning_rate={Format(new AdemamixOptions().LearningRate)}",
        ["simplified_ademamix"] = $"learning_rate={Format(new SimplifiedAdemamixOptions().LearningRate)}",
        ["muon"] = $"learning_rate={Format(new MuonOptions().LearningRate)}",
    };

    public static TheoryData<string> RecordNames => [.. s_byRecord.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> BlockNames => [.. s_blocks.Keys.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RecordNames))]
    public void SpecWithoutArguments_StepsAsTheDefaultRecord(string name)
    {
        string spec = $"{name}({s_requiredArguments.GetValueOrDefault(name, "")})";
        var fromSpec = Run(SpecRegistry.Default.Create(spec));
        var fromRecord = Run(s_byRecord[name]());
        EngineTestData.AssertSameBits(fromRecord, fromSpec, spec);
    }

    [Theory]
    [MemberData(nameof(BlockNames))]
    public void BuildingBlockSpecWithoutArguments_StepsAsTheMethodsDefaults(string name) =>
        EngineTestData.AssertSameBits(Run(s_blocks[name]()), Run(SpecRegistry.Default.Create($"{name}()")), name);

    [Theory]
    [MemberData(nameof(BlockNames))]
    public void BuildingBlockSummary_EachListedDefault_StepsAsTheSpecWithoutIt(string name)
    {
        var expected = Run(SpecRegistry.Default.Create($"{name}()"));
        string summary = SpecRegistry.Default.Transformations.Single(t => t.Name == name).Summary;
        var listed = summary[(summary.IndexOf('(') + 1)..SignatureEnd(summary)].Split(", ").Where(item => item.Contains('=')).ToList();
        Assert.NotEmpty(listed);
        // Hand-written summaries: every item that is a plain key=literal is checked; alternatives such as
        // mode='hard'|'refined' are not spec text, and a default of none cannot be written.
        foreach (string item in listed.Where(item => !item.Contains('|') && !item.EndsWith("=none", StringComparison.Ordinal)))
        {
            string spec = $"{name}({item})";
            EngineTestData.AssertSameBits(expected, Run(SpecRegistry.Default.Create(spec)), spec);
        }
    }

    [Fact]
    public void EveryNameBuildableWithoutArguments_IsChecked()
    {
        var unchecked_ = EngineTestData.DefaultConstructibleSpecs().Select(s => s[..^2])
            .Where(n => !s_byRecord.ContainsKey(n) && !s_blocks.ContainsKey(n) && !s_nothingToCompare.Contains(n)).ToList();
        Assert.Empty(unchecked_);
    }

    [Fact]
    public void EveryNameWithAnOptionsRecord_IsChecked()
    {
        var bound = SpecRegistry.Default.Transformations.Select(t => t.Name).Where(n => SpecRegistry.Default.BindingOf(n) is not null).ToHashSet();
        Assert.Contains("adan", bound);
        Assert.Equal(bound.Order(StringComparer.Ordinal), s_byRecord.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RecordNames))]
    public void Summary_ListsTheRecordsDefaults(string name)
    {
        var (type, binding) = SpecRegistry.Default.BindingOf(name)!.Value;
        var defaults = Activator.CreateInstance(type)!;
        var signature = Signature(name);
        Assert.Equal(binding.Keywords.Select(k => k.Names[0]), signature.Arguments.Select(a => a.Key ?? ((SpecCall)a.Value).Name));
        foreach (var argument in signature.Arguments)
        {
            string key = argument.Key ?? ((SpecCall)argument.Value).Name;
            var properties = type.GetProperties()
                .Where(p => p.GetCustomAttribute<SpecAttribute>() is { } s && s.Names[0] == key)
                .OrderBy(p => p.GetCustomAttribute<SpecAttribute>()!.Item)
                .ToList();
            Assert.NotEmpty(properties);
            if (argument.Key is null)
            {
                Assert.All(properties, p => Assert.True(p.GetCustomAttribute<SpecAttribute>()!.Required, $"{name}: {key} is listed without a default"));
                continue;
            }
            object? value = properties.Count == 1 ? properties[0].GetValue(defaults) : properties.Select(p => p.GetValue(defaults)).ToArray();
            AssertSpecText(argument.Value, value, $"{name}: {key}");
        }
    }

    [Theory]
    [MemberData(nameof(RecordNames))]
    public void Summary_EachListedDefault_StepsAsTheSpecWithoutIt(string name)
    {
        string required = s_requiredArguments.GetValueOrDefault(name, "");
        var expected = Run(SpecRegistry.Default.Create($"{name}({required})"));
        string summary = SpecRegistry.Default.Transformations.Single(t => t.Name == name).Summary;
        string arguments = summary[(summary.IndexOf('(') + 1)..SignatureEnd(summary)];
        int checkedCount = 0;
        // A default of none cannot be written in a spec (none is the absence of the argument).
        foreach (var argument in Signature(name).Arguments.Where(a => a.Key is not null && a.Value is not SpecCall { Name: "none" }))
        {
            string text = ArgumentText(arguments, argument.Key!);
            string spec = $"{name}({(required.Length > 0 ? required + ", " : "")}{text})";
            EngineTestData.AssertSameBits(expected, Run(SpecRegistry.Default.Create(spec)), spec);
            checkedCount++;
        }
        Assert.True(checkedCount > 0, $"{name}: the summary lists no default");
    }

    /// <summary>The summary's signature, <c>title(key=default, ...)</c>, parsed as a spec call.</summary>
    private static SpecCall Signature(string name)
    {
        string summary = SpecRegistry.Default.Transformations.Single(t => t.Name == name).Summary;
        return SpecParser.Parse(summary[..(SignatureEnd(summary) + 1)]);
    }

    /// <summary>The index of the parenthesis that closes the summary's signature (quotes and nested tuples skipped).</summary>
    private static int SignatureEnd(string summary)
    {
        int depth = 0;
        char quote = '\0';
        for (int i = 0; i < summary.Length; i++)
        {
            char c = summary[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i;
        }
        throw new InvalidOperationException($"unbalanced summary: {summary}");
    }

    /// <summary>The text <c>key=value</c> of one argument inside the signature's argument list.</summary>
    private static string ArgumentText(string arguments, string key)
    {
        int start = arguments.StartsWith(key + "=", StringComparison.Ordinal) ? 0 : arguments.IndexOf(", " + key + "=", StringComparison.Ordinal) + 2;
        Assert.True(start >= 0 && arguments.AsSpan(start).StartsWith(key + "="), key);
        int depth = 0;
        for (int i = start; i < arguments.Length; i++)
        {
            if (arguments[i] is '(' or '[') depth++;
            else if (arguments[i] is ')' or ']') depth--;
            else if (arguments[i] == ',' && depth == 0) return arguments[start..i];
        }
        return arguments[start..];
    }

    /// <summary>Asserts that spec text (as the summary wrote it) denotes a record value.</summary>
    internal static void AssertSpecText(SpecValue text, object? value, string context)
    {
        switch (value)
        {
            case null:
                Assert.True(text is SpecCall { Name: "none", Arguments.Count: 0 }, $"{context}: expected none");
                break;
            case Schedule schedule:
                Assert.True(schedule.IsConstant, context);
                AssertSpecText(text, schedule.Evaluate(0), context);
                break;
            case double or int or long:
                Assert.True(text is SpecNumber n && n.Value == Convert.ToDouble(value, CultureInfo.InvariantCulture), $"{context}: expected {value}, found {text}");
                break;
            case bool b:
                Assert.True(text is SpecBool sb && sb.Value == b, $"{context}: expected {b}, found {text}");
                break;
            case string s:
                Assert.True(text is SpecString ss && ss.Value == s, $"{context}: expected '{s}', found {text}");
                break;
            case Enum e:
                Assert.True(text is SpecString es && Enum.TryParse(e.GetType(), es.Value.Replace("_", ""), ignoreCase: true, out var parsed) && parsed.Equals(e),
                    $"{context}: expected {e}, found {text}");
                break;
            case ITuple tuple:
                var items = Assert.IsType<SpecList>(text).Items;
                Assert.True(tuple.Length == items.Count, $"{context}: expected {tuple.Length} items, found {text}");
                for (int i = 0; i < items.Count; i++) AssertSpecText(items[i], tuple[i], context);
                break;
            case IEnumerable list:
                var values = list.Cast<object?>().ToList();
                if (values.Count == 1)
                {
                    AssertSpecText(text, values[0], context);
                    break;
                }
                var listed = Assert.IsType<SpecList>(text).Items;
                Assert.True(values.Count == listed.Count, $"{context}: expected {values.Count} items, found {text}");
                for (int i = 0; i < values.Count; i++) AssertSpecText(listed[i], values[i], context);
                break;
            default:
                Assert.Fail($"{context}: no check for a {value.GetType().Name}");
                break;
        }
    }

    /// <summary>Four steps on a matrix (Muon's path), a vector and a scalar; the loss is given for Polyak's step size.</summary>
    internal static List<(string What, long Bits)> Run(GradientTransformation transformation)
    {
        var set = new ParameterSet();
        set.Add("matrix", 3, 4);
        set.Add("vector", 5);
        set.Add("scalar");
        foreach (var p in set)
        {
            var v = p.Values;
            for (int i = 0; i < v.Length; i++) v[i] = EngineTestData.Hash(p.Index, i, 0) * 2f;
        }
        var optimizer = new Optimizer(transformation, set);
        var gradients = new GradientSet(set);
        for (int step = 0; step < 4; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            optimizer.Step(gradients, loss: 1.0 / (step + 1));
        }
        return EngineTestData.Snapshot(optimizer);
    }

    private static string Format(Schedule constant) => constant.Evaluate(0).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
