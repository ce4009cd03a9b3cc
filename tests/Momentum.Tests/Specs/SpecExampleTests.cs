using Momentum.Specs;

namespace Momentum.Tests.Specs;

/// <summary>Every registered name carries an example spec that parses, builds, and is a call of that name.</summary>
public class SpecExampleTests
{
    public static TheoryData<string> TransformationNames => [.. SpecRegistry.Default.Transformations.Select(t => t.Name)];

    public static TheoryData<string> ScheduleNames => [.. SpecRegistry.Default.Schedules.Select(s => s.Name)];

    [Fact]
    public void Registry_HasTransformationsAndSchedules()
    {
        // Guards the enumerations: the theories below must not silently run over nothing.
        Assert.Contains("adam", SpecRegistry.Default.Transformations.Select(t => t.Name));
        Assert.Contains("partition", SpecRegistry.Default.Transformations.Select(t => t.Name));
        Assert.Contains("warmup_cosine_decay_schedule", SpecRegistry.Default.Schedules.Select(s => s.Name));
    }

    [Theory]
    [MemberData(nameof(TransformationNames))]
    public void Example_ParsesBuildsAndNamesItsSpecName(string name)
    {
        string example = SpecRegistry.Default.Example(name);
        var call = SpecParser.Parse(example);
        Assert.Equal(name, call.Name);
        Assert.NotNull(SpecRegistry.Default.Create(call));
    }

    [Theory]
    [MemberData(nameof(ScheduleNames))]
    public void ScheduleExample_ParsesBuildsAndNamesItsScheduleName(string name)
    {
        string example = SpecRegistry.Default.ScheduleExample(name);
        var call = SpecParser.Parse(example);
        Assert.Equal(name, call.Name);
        var schedule = SpecRegistry.Default.CreateSchedule(call);
        for (long step = 0; step < 10; step++) Assert.True(double.IsFinite(schedule.Evaluate(step)), $"{example} at step {step}");
    }

    [Fact]
    public void Example_OfAnUnknownName_Throws()
    {
        Assert.Throws<KeyNotFoundException>(() => SpecRegistry.Default.Example("no_such_optimizer"));
        Assert.Throws<KeyNotFoundException>(() => SpecRegistry.Default.ScheduleExample("no_such_schedule"));
    }
}
